package templates

// AdminSearchView is /admin/search: the query, the kind filter and the
// results, rendered on the server (the admin index lives in its memory).
type AdminSearchView struct {
	Head  AdminHead
	Query string
	Kind  string
	Kinds []SearchOption
	// Status says how many results there are, for the live region; ""
	// before a query.
	Status string
	Hits   []AdminSearchHit
}

// AdminSearchHit is one result: its title and excerpt with the matched
// words marked.
type AdminSearchHit struct {
	URL     string
	Title   []TextPart
	Meta    string // kind · status or date
	Excerpt []TextPart
}

// TextPart is a run of text, shown in <mark> when Mark is set.
type TextPart struct {
	Text string
	Mark bool
}
