package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// historyFixture is an admin snapshot with 90 days of history: pve-io
// has a gap (the admin server was off) and an outage, mon-io a
// maintenance night and a partial day, the rest no record at all; an
// incident is open and maintenance is ahead.
func historyFixture(t *testing.T) []byte {
	t.Helper()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	days := func(special map[int]snapshot.Day) []snapshot.Day {
		var out []snapshot.Day
		for i := range 90 {
			date := now.AddDate(0, 0, i-89).Format(time.DateOnly)
			d, ok := special[i]
			if !ok {
				d = snapshot.Day{Status: "up", Up: 86400}
			}
			d.Date = date
			out = append(out, d)
		}
		return out
	}
	up := func(r float64) *float64 { return &r }
	wins := []snapshot.Window{{Name: "24h", Uptime: up(0.98)}, {Name: "7d", Uptime: up(0.997)}, {Name: "30d", Uptime: up(0.9991)}, {Name: "90d"}}
	gap := map[int]snapshot.Day{}
	for i := range 10 {
		gap[i] = snapshot.Day{Status: "unknown", Unknown: 86400}
	}
	gap[40] = snapshot.Day{Status: "down", Up: 20000, Down: 66400}
	gap[89] = snapshot.Day{Status: "partial", Up: 34000, Down: 2000}
	s := &snapshot.Snapshot{Version: snapshot.Version, GeneratedAt: now,
		Nodes: map[string]snapshot.NodeStatus{"pve-io": {Status: "down", CheckedAt: now}, "mon-io": {Status: "up", CheckedAt: now}, "vault": {Status: "up", CheckedAt: now}},
		History: &snapshot.History{Days: 90, Nodes: map[string]snapshot.NodeHistory{
			"pve-io": {Windows: wins, Days: days(gap)},
			"mon-io": {Windows: wins, Days: days(map[int]snapshot.Day{70: {Status: "maintenance", Maintenance: 7200, Unknown: 79200}, 75: {Status: "partial", Up: 80000, Down: 6400}})},
			"vault":  {Windows: wins, Days: days(nil)},
		},
			Incidents: []snapshot.Incident{{ID: "2026-11-20-pve-io", PublicID: "2026-11-20-pve-io", Title: "pve-io is down", Status: "identified", Cause: "pve-io",
				Systems: []string{"pve-io", "vault"}, Summary: "pve-io is down.", Started: now.Add(-30 * time.Minute),
				Updates: []snapshot.Update{{At: now.Add(-10 * time.Minute), Status: "identified", Text: "The PSU failed; a spare is on its way."}}}},
			Maintenance: []snapshot.Maintenance{{Systems: []string{"kronos-nas"}, From: now.Add(17 * time.Hour), To: now.Add(17*time.Hour + 30*time.Minute), Reason: "weekly scrub"}},
		}}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// buildWithHistory builds the example site with historyFixture.
func buildWithHistory(t *testing.T) string {
	t.Helper()
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(snap, historyFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: "..", Out: out, Snapshot: snap, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatusHistoryBars: /status/, built with a history, without
// JavaScript, on a phone (390 px) and a desktop (1440 px): every public
// system has its 90 bars inside the screen, unknown days drawn as gaps
// and maintenance as maintenance, each with a tooltip and the same words
// in the text version; the incident and the banner show, the hidden
// vault is in neither, and axe-core finds nothing to fault. PNGs of the systems go to LABFRONT_SCREENSHOTS
// when set.
func TestStatusHistoryBars(t *testing.T) {
	srv := pagesServer(t, buildWithHistory(t))
	axe := sitetest.AxeScript(t)
	for _, width := range []int64{390, 1440} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx := browser(t)
			disableScripts(t, ctx)
			var opts []chromedp.EmulateViewportOption
			if width < 500 {
				opts = append(opts, chromedp.EmulateMobile)
			}
			do(t, ctx, chromedp.EmulateViewport(width, 900, opts...), chromedp.Navigate(srv.URL+"/status/"), chromedp.WaitVisible(chromedp.CSS(".status-history")))
			if w := js[int](t, ctx, `document.documentElement.scrollWidth`); w > int(width) {
				t.Errorf("/status/ is %d px wide on a %d px screen", w, width)
			}
			type strip struct {
				ID                    string
				Rects, Titles, Items  int
				Left, Right, Height   float64
				Unknown, Maint, Down  int
				Label, FirstRectTitle string
			}
			strips := js[[]strip](t, ctx, `[...document.querySelectorAll('.status-row')].map(r => {
				const svg = r.querySelector('svg.bars'), b = svg ? svg.getBoundingClientRect() : {left: 0, right: 0, height: 0};
				const rects = svg ? [...svg.querySelectorAll('rect')] : [];
				return {ID: r.dataset.id, Rects: rects.length, Titles: rects.filter(x => x.querySelector('title') && x.querySelector('title').textContent).length,
					Items: r.querySelectorAll('.bars-text li').length, Left: b.left, Right: b.right, Height: b.height,
					Unknown: rects.filter(x => x.classList.contains('d-unknown')).length, Maint: rects.filter(x => x.classList.contains('d-maintenance')).length,
					Down: rects.filter(x => x.classList.contains('d-down')).length,
					Label: svg ? svg.getAttribute('aria-label') : '', FirstRectTitle: rects.length ? rects[0].textContent : ''};
			})`)
			if len(strips) < 25 {
				t.Fatalf("%d rows", len(strips))
			}
			by := map[string]strip{}
			for _, s := range strips {
				by[s.ID] = s
				if s.Rects != 90 || s.Titles != 90 || s.Items != 90 {
					t.Errorf("%s: %d rects, %d with a tooltip, %d text items; want 90 each", s.ID, s.Rects, s.Titles, s.Items)
				}
				if s.Left < 0 || s.Right > float64(width) || s.Right-s.Left < 150 || s.Height < 10 {
					t.Errorf("%s: bars at %.0f–%.0f px, %.0f px high, on a %d px screen", s.ID, s.Left, s.Right, s.Height, width)
				}
			}
			if _, ok := by["vault"]; ok {
				t.Error("the hidden vault has a row")
			}
			if p := by["pve-io"]; p.Unknown != 10 || p.Down != 1 || p.Label != "pve-io, last 90 days" || !strings.Contains(p.FirstRectTitle, "no data") {
				t.Errorf("pve-io's strip %+v", p)
			}
			if m := by["mon-io"]; m.Maint != 1 {
				t.Errorf("mon-io's strip %+v", m)
			}
			if g := by["grafana-io"]; g.Unknown != 90 {
				t.Errorf("a system without history should be all gap: %+v", g)
			}
			// A gap is drawn as one: no colour of its own, unlike a day up.
			fills := js[[]string](t, ctx, `['d-unknown','d-up','d-maintenance'].map(c => getComputedStyle(document.querySelector('.status-row[data-id="pve-io"] rect.'+c) || document.querySelector('rect.'+c)).fill)`)
			if fills[0] == fills[1] || fills[0] == fills[2] {
				t.Errorf("unknown, up and maintenance fills %q", fills)
			}
			text := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
			for _, want := range []string{"Current incidents", "pve-io is down", "The PSU failed", "Planned", "weekly scrub", "24 h: 98.00 %", "90 d: no data"} {
				if !strings.Contains(text, want) {
					t.Errorf("/status/ does not say %q", want)
				}
			}
			if strings.Contains(text, "vault") {
				t.Error("the page names the hidden vault")
			}
			if shots := os.Getenv("LABFRONT_SCREENSHOTS"); shots != "" {
				png := get(t, ctx, chromedp.Screenshot(chromedp.CSS(".status-systems")))
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("status-bars-%d.png", width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
				row := get(t, ctx, chromedp.Screenshot(chromedp.CSS(`.status-row[data-id="pve-io"]`)))
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("status-row-%d.png", width)), row, 0o644); err != nil {
					t.Fatal(err)
				}
				top := get(t, ctx, chromedp.Screenshot(chromedp.CSS(".status-incidents")))
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("status-incidents-%d.png", width)), top, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			// axe-core, on the page as a visitor with JavaScript gets it
			// (axe itself needs scripts), with the text versions open:
			// they are part of the page.
			for _, scheme := range []string{"light", "dark"} {
				ctx := browser(t)
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				}); err != nil {
					t.Fatal(err)
				}
				do(t, ctx, chromedp.EmulateViewport(width, 900, opts...), chromedp.Navigate(srv.URL+"/status/"))
				waitJS(t, ctx, `document.querySelector('.freshness').dataset.state !== 'baked'`, "the island's answer")
				js[bool](t, ctx, `(() => { document.querySelectorAll('.bars-text').forEach(d => d.open = true); return true })()`)
				time.Sleep(300 * time.Millisecond)
				for _, v := range runAxe(t, ctx, axe).Violations {
					var where []string
					for _, n := range v.Nodes[:min(3, len(v.Nodes))] {
						where = append(where, fmt.Sprint(n.Target)+": "+n.Summary)
					}
					t.Errorf("axe (%s): %s [%s, %d elements]: %s\n\t%s", scheme, v.ID, v.Impact, len(v.Nodes), v.Help, strings.Join(where, "\n\t"))
				}
			}
		})
	}
}

// historyAnswer is what the edge answers for /api/v1/history.
type historyAnswer struct {
	GeneratedAt string `json:"generated_at"`
	Days        int    `json:"days"`
	Nodes       map[string]struct {
		Days []struct {
			Date, Status string
		} `json:"days"`
	} `json:"nodes"`
	Incidents []struct {
		ID, Title string
		Systems   []string
	} `json:"incidents"`
	Stale    bool `json:"stale"`
	Snapshot *struct {
		Source string `json:"source"`
	} `json:"snapshot"`
}

// TestEdgeHistoryFallback: under workerd, with the origin down, the
// history JSON answers from the history baked into the build, marked
// stale; once a live answer has passed through, a later outage answers
// from that newer copy. The hidden vault is in neither.
func TestEdgeHistoryFallback(t *testing.T) {
	wranglerBin(t)
	dist := buildWithHistory(t)
	origin, originURL := startSwitchOrigin(t)
	e := startEdge(t, t.TempDir(), dist, "--compatibility-date="+compatDate, "--kv", "SNAPSHOTS", "--binding", "ORIGIN_URL="+originURL)
	historyURL := e.URL + "/api/v1/history"
	decode := func(a answer) historyAnswer {
		t.Helper()
		var h historyAnswer
		if err := json.Unmarshal(a.Body, &h); err != nil {
			t.Fatalf("not JSON (%v): %s", err, a.Body)
		}
		if strings.Contains(string(a.Body), "vault") {
			t.Errorf("the answer names the hidden vault: %s", a.Body)
		}
		return h
	}

	a := request(t, http.MethodGet, historyURL)
	h := decode(a)
	if a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("X-Labfront-Snapshot"), "static;") || !h.Stale || h.Snapshot == nil || h.Snapshot.Source != "static" {
		t.Fatalf("with the origin down: %d %q %s", a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body)
	}
	if h.GeneratedAt != "2026-11-20T10:00:00Z" || len(h.Nodes["pve-io"].Days) != 90 || h.Nodes["pve-io"].Days[40].Status != "down" || len(h.Incidents) != 1 {
		t.Errorf("the baked history: %s", a.Body)
	}

	live := fmt.Sprintf(`{"generated_at": %q, "days": 90, "nodes": {"pve-io": {"windows": [], "days": [{"date": "2026-12-01", "status": "up", "up": 86400}]}}, "secret": "dropped"}`,
		time.Now().UTC().Format(time.RFC3339))
	origin.set(http.StatusOK, live)
	if a := request(t, http.MethodGet, historyURL); a.Status != http.StatusOK || a.Header.Get("X-Labfront-Snapshot") != "" || decode(a).Stale {
		t.Fatalf("with the origin up: %d %q %s", a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body)
	}
	origin.set(http.StatusBadGateway, `{"error": "bad gateway"}`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		a := request(t, http.MethodGet, historyURL)
		h := decode(a)
		if h.Snapshot != nil && h.Snapshot.Source == "cache" {
			if len(h.Nodes["pve-io"].Days) != 1 || strings.Contains(string(a.Body), "dropped") {
				t.Errorf("the cached copy: %s", a.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the fallback is not the cached copy: %s", a.Body)
		}
	}
}
