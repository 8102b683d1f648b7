package api

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/templates"
)

var adminNav = []templates.NavLink{
	{Title: "Dashboard", URL: "/admin/"},
	{Title: "Nodes", URL: "/admin/nodes"},
	{Title: "Topology", URL: "/admin/topology"},
	{Title: "Content", URL: "/admin/content"},
	{Title: "Deploys", URL: "/admin/deploys"},
	{Title: "Audit", URL: "/admin/audit"},
	{Title: "Search", URL: "/admin/search"},
}

// head builds the admin frame for the page at path. Without an identity
// (the sign-in page, errors on public routes) the frame is bare: the
// navigation and the outage banners describe the lab, and banners name
// sources, which can be named after private nodes.
func (s *Server) head(c echo.Context, title, path string) templates.AdminHead {
	h := templates.AdminHead{
		Title:   title,
		Favicon: s.assets.URL("favicon.svg"),
		Dev:     s.cfg.Auth.Mode == adminconfig.ModeDev || s.cfg.Auth.Mode == "",
	}
	for _, css := range []string{"site.css", "architecture.css", "admin.css"} {
		if u := s.assets.URL(css); u != "" {
			h.Stylesheets = append(h.Stylesheets, u)
		}
	}
	id := identity(c)
	if id == nil {
		return h
	}
	h.User, h.Role = id.Email, id.Role()
	h.Script, h.Events, h.Banners = s.assets.URL("admin.js"), "/admin/events", s.banners()
	h.Logout = s.cfg.Auth.Mode == adminconfig.ModeOIDC
	for _, n := range adminNav {
		n.Current = n.URL == path
		h.Nav = append(h.Nav, n)
	}
	return h
}

// banners say, for every source that is not live, since when and what is
// shown instead.
func (s *Server) banners() []templates.Banner {
	out := s.stateBanners()
	for _, src := range s.store.Sources() {
		switch src.State() {
		case live.StateStale:
			out = append(out, templates.Banner{State: "stale", Message: fmt.Sprintf("%s unreachable since %s, showing data from %s (%s).",
				src.Name, clock(src.FailingSince, s.now()), clock(src.FetchedAt, s.now()), ago(src.FetchedAt, s.now()))})
		case live.StateMissing:
			msg := src.Name + " has not answered yet: no data."
			if src.LastError != "" {
				msg = fmt.Sprintf("%s unreachable since %s and no data has ever arrived.", src.Name, clock(src.FailingSince, s.now()))
			}
			out = append(out, templates.Banner{State: "missing", Message: msg})
		}
	}
	return out
}

// stateBanners say which state files were damaged and moved aside, and
// whether state is being saved now.
func (s *Server) stateBanners() []templates.Banner {
	var out []templates.Banner
	for _, l := range s.files.Losses() {
		what := lostWhat[filepath.Base(l.Path)]
		if what == "" {
			what = "The state in " + filepath.Base(l.Path)
		}
		out = append(out, templates.Banner{State: "missing", Message: fmt.Sprintf("%s was lost at %s: %s could not be read (%v) and was moved aside as %s; the server carries on without it.",
			what, clock(l.At, s.now()), filepath.Base(l.Path), l.Err, filepath.Base(l.MovedTo))})
	}
	if f, failing := s.files.Failing(); failing {
		out = append(out, templates.Banner{State: "missing", Message: fmt.Sprintf("State not saved since %s (%s): %v. The last good files are kept; saving resumes by itself once writes succeed.",
			clock(f.Since, s.now()), ago(f.Since, s.now()), f.Err)})
	}
	return out
}

// lostWhat says what each state file held, for the banner of its loss.
var lostWhat = map[string]string{
	"live.json":     "The last snapshot of the sources",
	snapshotFile:    "The last status snapshot",
	"state.json":    "The deploys' memory of webhook deliveries and deployed commits",
	revocationsFile: "The list of signed-out sessions (everyone signs in again)",
}

// clock shows a time of day, with the date when it is not today.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("2 Jan 15:04")
}

// ago is a short relative age.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func percent(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.Itoa(int(math.Round(*v*100))) + " %"
}

func decimal(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// spark draws a series into a 100×24 box, scaled to 0–100 % for fractions.
func spark(name string, pts []live.Point) templates.Sparkline {
	if len(pts) < 2 {
		return templates.Sparkline{}
	}
	// Whole units in a 100×24 box are finer than the pixels it is drawn
	// at, and keep a 500-node dashboard small and quick to build.
	b := make([]byte, 0, len(pts)*7)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range pts {
		x := int(math.Round(float64(i) / float64(len(pts)-1) * 100))
		y := int(math.Round(23 - math.Max(0, math.Min(1, p.V))*22))
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(x), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(y), 10)
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	last := pts[len(pts)-1].V
	return templates.Sparkline{Points: string(b), Label: fmt.Sprintf("%s %.0f–%.0f %%, now %.0f %%", name, lo*100, hi*100, last*100)}
}

// detail is a node's description for admin pages: the full lab, private
// nodes and real names included, with its live status.
func (s *Server) detail(n *lab.Node, v live.NodeView) templates.NodeDetail {
	d := s.details[n.ID]
	d.Status = v.Status
	if !v.CheckedAt.IsZero() {
		d.CheckedAt = ago(v.CheckedAt, s.now())
	}
	return d
}

func (s *Server) errorPage(c echo.Context, code int, msg string) templ.Component {
	title := map[int]string{401: "Sign in needed", 403: "Not allowed", 404: "Not found"}[code]
	if title == "" {
		title = "Something went wrong"
	}
	// Public and unmatched routes run no requireIdentity: a signed-in
	// user who mistypes a path should still get the full frame.
	if identity(c) == nil {
		if id, err := s.auth.identify(c.Request()); err == nil && id != nil {
			c.Set("identity", id)
		}
	}
	return templates.AdminError(templates.ErrorView{Head: s.head(c, title, ""), Code: code, Title: title, Message: msg})
}

// siteName names a site id.
func (s *Server) siteName(id string) (name, role string) {
	i := slices.IndexFunc(s.lab.Sites, func(x lab.Site) bool { return x.ID == id })
	if i < 0 {
		return "Cloud and edge", ""
	}
	return s.lab.Sites[i].Name, s.lab.Sites[i].Role
}
