package templates

// UptimeBars is one system's daily bars, oldest first: the 90-day strip
// of the public status page and of the admin's uptime page. Each day is
// a rect with its own tooltip, and the same words are the text version.
type UptimeBars struct {
	// Label names the strip for assistive technology ("pve-io, last 90 days").
	Label string
	Days  []UptimeDay
}

// UptimeDay is one day's bar.
type UptimeDay struct {
	Date string // YYYY-MM-DD, in the site's time zone
	// Status is up, partial, down, maintenance or unknown (no data: a gap).
	Status string
	// Label is the tooltip and the text version: "3 Dec 2026: 99.3 % up, 10 min down".
	Label string
}

// UptimeWindow is the uptime over one rolling window.
type UptimeWindow struct {
	Name    string // 24 h, 7 d, 30 d, 90 d
	Percent string // "99.95 %", or "no data" when nothing is known
}
