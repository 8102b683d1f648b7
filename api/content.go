package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/sitecheckout"
	"github.com/labfront/labfront/internal/substack"
	"github.com/labfront/labfront/templates"
)

// contentPage is /admin/content: the site's Substack inbox with each
// article's analysis, and where its promotion would commit and push.
func (s *Server) contentPage(c echo.Context) error {
	return render(c, http.StatusOK, templates.AdminContent(s.contentView(c, nil)))
}

// checkoutGate reads the site checkout and says why the signed-in user
// cannot commit there ("" when they can). The pages that offer a commit
// (promotion, drift fixes) offer it on the same conditions; doing and
// noun name the work in the reason ("Promoting needs …", "Promotion is
// off …").
func (s *Server) checkoutGate(ctx context.Context, c echo.Context, doing, noun string) (templates.CheckoutInfo, string) {
	co := sitecheckout.Inspect(ctx, s.cfg.Site)
	info := templates.CheckoutInfo{Dir: co.Dir, Branch: co.Branch, Remote: co.Remote, Problem: co.Problem}
	switch {
	case !identity(c).Admin:
		return info, doing + " needs the admin role."
	case co.Problem != "":
		return info, noun + " is off until the site checkout can take a commit (see above)."
	}
	return info, ""
}

// contentView reads the inbox and the checkout afresh: both change under
// the server (imports, hand edits, pulls).
func (s *Server) contentView(c echo.Context, outcome *templates.PromoteOutcome) templates.ContentView {
	ctx := c.Request().Context()
	v := templates.ContentView{
		Head:    s.head(c, "Content", "/admin/content"),
		Inbox:   filepath.ToSlash(filepath.Join(s.cfg.Site, "content", substack.InboxDir)),
		Outcome: outcome,
	}
	v.Checkout, v.PromoteReason = s.checkoutGate(ctx, c, "Promoting", "Promotion")
	v.CanPromote = v.PromoteReason == ""
	items, err := substack.ListInbox(s.cfg.Site)
	if err != nil {
		v.Problem = err.Error()
	}
	base := ""
	if site, err := content.LoadConfig(s.cfg.Site); err == nil {
		base = strings.TrimRight(site.BaseURL, "/")
	} else {
		s.log.Warn("content page: read site.yaml for note links", "err", err)
	}
	// Newest first: the inbox is reviewed as articles arrive.
	slices.SortStableFunc(items, func(a, b *substack.Inbox) int {
		return cmp.Or(b.Date.Compare(a.Date), strings.Compare(filepath.Base(a.File), filepath.Base(b.File)))
	})
	for _, in := range items {
		v.Articles = append(v.Articles, inboxArticle(in, base))
	}
	return v
}

func inboxArticle(in *substack.Inbox, base string) templates.InboxArticle {
	name := filepath.Base(in.File)
	a := templates.InboxArticle{
		File: name, ID: "article-" + in.Slug, Path: "content/" + substack.InboxDir + "/" + name,
		Title: in.Title, Subtitle: in.Subtitle, Date: in.Date.Format("2 Jan 2006"), DateISO: in.Date.Format("2006-01-02"),
		Type: in.Type, Audience: in.Audience, Status: cmp.Or(in.Status, substack.StatusInbox), SubstackURL: in.SubstackURL,
		Structure: in.Structure, Decision: cmp.Or(in.Decision, "none yet"), Reasons: in.Reasons,
		Promotable: in.Decision == substack.DecisionNote || in.Decision == substack.DecisionPaper,
	}
	for _, x := range in.Anchors {
		a.Anchors = append(a.Anchors, templates.AnchorCount{Name: cmp.Or(x.Name, x.ID), Kind: x.Kind, Count: x.Count})
	}
	if in.Status == substack.StatusPromoted && in.PromotedTo != "" {
		a.NotePath = in.PromotedTo
		if base != "" {
			a.NoteURL = base + "/notes/" + content.SlugFromFile(in.PromotedTo) + "/"
		}
	}
	return a
}

// promoteResult is how a promotion ended: the page's answer and the audit
// record's result.
type promoteResult struct {
	code    int
	result  string // ok, failed, refused
	target  string
	outcome templates.PromoteOutcome
}

func refused(code int, target, msg string) promoteResult {
	return promoteResult{code: code, result: "refused", target: target, outcome: templates.PromoteOutcome{Title: "Not promoted: " + msg}}
}

// contentPromote promotes an inbox article (the route table has already
// checked identity, the admin role and the origin, and audits it): it
// writes the note, commits the note and the inbox file in the site
// checkout and pushes the branch when the checkout has a remote. It asks
// for confirmation, runs one promotion at a time, and answers with the
// content page carrying the outcome.
func (s *Server) contentPromote(c echo.Context) (*actionWork, error) {
	if c.FormValue("confirm") != "yes" {
		o := templates.PromoteOutcome{Title: "Confirm the promotion first: tick the box next to the button."}
		return nil, render(c, http.StatusBadRequest, templates.AdminContent(s.contentView(c, &o)))
	}
	return &actionWork{name: "promote", run: func() actionOutcome {
		// The promotion must finish, or roll back, even if the browser goes away.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), actionTimeout)
		res := s.promote(ctx, identity(c), c.FormValue("file"), c.FormValue("as"))
		cancel()
		o := actionOutcome{target: res.target, result: res.result}
		if !res.outcome.OK {
			o.err = strings.Join(append([]string{res.outcome.Title}, res.outcome.Details...), " · ")
		}
		o.answer = func() error { return render(c, res.code, templates.AdminContent(s.contentView(c, &res.outcome))) }
		return o
	}}, nil
}

// promote does the work of contentPromote under the promotion lock.
func (s *Server) promote(ctx context.Context, id *Identity, name, as string) promoteResult {
	target := "content/" + substack.InboxDir + "/" + name
	if !validInboxName(name) {
		target = strconv.QuoteToASCII(name[:min(len(name), 120)])
		return refused(http.StatusBadRequest, target, fmt.Sprintf("%s is not the name of a file in content/%s/.", target, substack.InboxDir))
	}
	switch as {
	case "decided":
		as = ""
	case "", substack.AsNote, substack.AsPaper:
	default:
		return refused(http.StatusBadRequest, target, fmt.Sprintf("promote as %q: choose a technical note or an architecture paper.", as))
	}
	if !s.promoting.TryLock() {
		return refused(http.StatusConflict, target, "another promotion is running; try again when it has finished.")
	}
	defer s.promoting.Unlock()

	file, err := inboxFile(s.cfg.Site, name)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, fs.ErrNotExist) {
			code = http.StatusNotFound
		}
		return refused(code, target, err.Error())
	}
	co := sitecheckout.Inspect(ctx, s.cfg.Site)
	if co.Problem != "" {
		return refused(http.StatusConflict, target, "the site checkout cannot take a commit: "+co.Problem+".")
	}
	in, err := substack.ReadInbox(file, target)
	if err != nil {
		return refused(http.StatusUnprocessableEntity, target, err.Error())
	}
	noteRel := "content/notes/" + in.Slug + ".md"
	paths := []string{noteRel, target}
	saved, err := sitecheckout.SaveFiles(filepath.Join(co.Dir, filepath.FromSlash(noteRel)), file)
	if err != nil {
		return refused(http.StatusInternalServerError, target, "could not read the files a promotion would change: "+err.Error())
	}

	fail := func(code int, title string, err error, undo rollback) promoteResult {
		r := promoteResult{code: code, result: "failed", target: target, outcome: templates.PromoteOutcome{Title: "Promotion failed: " + title}}
		r.outcome.Details = append(r.outcome.Details, strings.Split(err.Error(), "\n")...)
		r.outcome.Details = append(r.outcome.Details, s.rollback(ctx, co, saved, paths, undo))
		return r
	}
	p, err := substack.Promote(s.cfg.Site, file, substack.PromoteOptions{As: as})
	if err != nil {
		return fail(http.StatusUnprocessableEntity, "the article could not be promoted.", err, rollback{})
	}
	by := commitAuthor(id)
	prev, ours, err := co.Commit(ctx, paths, commitMessage(in, p, id), by)
	switch {
	case errors.Is(err, sitecheckout.ErrNothingToCommit):
		return fail(http.StatusConflict, "there is nothing to commit.", err, rollback{staged: true})
	case err != nil:
		return fail(http.StatusInternalServerError, "git could not commit the note.", err, rollback{staged: true})
	}
	pushed := ""
	if co.Remote != "" {
		if err := co.Push(ctx); err != nil {
			return fail(http.StatusBadGateway, "the push to "+co.Remote+" was refused or failed.", err, rollback{staged: true, prev: prev, ours: ours})
		}
		pushed = co.Remote
	}
	r := promoteResult{code: http.StatusOK, result: "ok", target: target + " -> " + noteRel}
	r.outcome = templates.PromoteOutcome{OK: true, Title: fmt.Sprintf("Promoted “%s” into %s.", in.Title, noteRel)}
	r.outcome.Details = append(r.outcome.Details, fmt.Sprintf("Commit %s on %s by %s: %s", short(ours), co.Branch, by.Email, commitSubject(in)))
	if pushed != "" {
		r.outcome.Details = append(r.outcome.Details, fmt.Sprintf("Pushed %s to %s: the deploy starts from there.", co.Branch, pushed))
	} else {
		r.outcome.Details = append(r.outcome.Details, "The checkout has no remote: the commit stays here until it is pushed.")
	}
	r.outcome.Details = append(r.outcome.Details, anchorSummary(p))
	if site, err := content.LoadConfig(s.cfg.Site); err == nil {
		r.outcome.NoteURL = strings.TrimRight(site.BaseURL, "/") + "/notes/" + in.Slug + "/"
	}
	return r
}

// rollback says how far a failed promotion got.
type rollback struct {
	staged     bool   // git add may have run
	prev, ours string // a commit was made: ours, on top of prev
}

// rollback puts the checkout back as it was before the promotion and says
// what it did. It restores the saved bytes rather than running git
// checkout or git clean: the inbox file may carry reviewed, uncommitted
// hand edits, and git checkout would throw them away. When the push
// failed, the local commit is undone too: a commit the remote refused
// leaves the checkout ahead of what is deployed, and the next promotion
// would push it along unseen. The operator pulls and promotes again.
func (s *Server) rollback(ctx context.Context, co *sitecheckout.Checkout, saved *sitecheckout.SavedFiles, paths []string, r rollback) string {
	// The cleanup must run even when the promotion used up its time.
	ctx = context.WithoutCancel(ctx)
	if r.ours != "" {
		if err := co.UndoCommit(ctx, r.prev, r.ours); err != nil {
			s.log.Error("promote: undo commit", "commit", r.ours, "err", err)
			return fmt.Sprintf("Commit %s could not be undone (%v); it stays on %s in %s, not pushed.", short(r.ours), err, co.Branch, co.Dir)
		}
	}
	var errs []error
	if r.staged {
		errs = append(errs, co.Unstage(ctx, paths))
	}
	errs = append(errs, saved.Restore())
	if err := errors.Join(errs...); err != nil {
		s.log.Error("promote: restore checkout", "dir", co.Dir, "err", err)
		return fmt.Sprintf("The checkout could not be fully restored (%v): run git status in %s.", err, co.Dir)
	}
	msg := "The checkout is as it was: " + strings.Join(paths, " and ") + " restored"
	if r.ours != "" {
		msg += ", local commit " + short(r.ours) + " undone"
	}
	return msg + "."
}

// validInboxName accepts a bare file name of the inbox: no directories, no
// dot files, nothing that could climb out of content/substack/.
func validInboxName(name string) bool {
	return name != "" && len(name) <= 255 && filepath.IsLocal(name) && !strings.ContainsAny(name, `/\`+"\x00") &&
		!strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".md")
}

// inboxFile is the inbox file of that name, refusing links: the importer
// writes regular files, and a link could point anywhere.
func inboxFile(site, name string) (string, error) {
	for _, dir := range []string{filepath.Join(site, "content"), filepath.Join(site, "content", substack.InboxDir)} {
		st, err := os.Lstat(dir)
		if err != nil {
			return "", fmt.Errorf("the site has no %s directory: %w", filepath.ToSlash(dir), err)
		}
		if !st.IsDir() {
			return "", fmt.Errorf("%s is not a plain directory inside the checkout", filepath.ToSlash(dir))
		}
	}
	file := filepath.Join(site, "content", substack.InboxDir, name)
	st, err := os.Lstat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("content/%s/%s is not in the inbox: %w", substack.InboxDir, name, fs.ErrNotExist)
	}
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("content/%s/%s is not a regular file", substack.InboxDir, name)
	}
	return file, nil
}

// commitAuthor is the admin who promoted, when their identity has an
// email address; otherwise the commit is labfront's alone.
func commitAuthor(id *Identity) sitecheckout.Author {
	email := strings.TrimSpace(id.Email)
	if !strings.Contains(email, "@") || strings.ContainsAny(email, "<>\n ") {
		return sitecheckout.Author{Name: sitecheckout.CommitterName, Email: sitecheckout.CommitterEmail}
	}
	name := oneLine(strings.NewReplacer("<", "", ">", "").Replace(id.Name))
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	return sitecheckout.Author{Name: name, Email: email}
}

func commitSubject(in *substack.Inbox) string {
	return "Promote " + oneLine(in.Title) + " from Substack"
}

// commitMessage says what was promoted, from where and by whom, so the
// history explains the deploy it triggers.
func commitMessage(in *substack.Inbox, p *substack.Promotion, id *Identity) string {
	var b strings.Builder
	b.WriteString(commitSubject(in))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Note: content/notes/%s.md\nInbox: content/%s/%s\n", in.Slug, substack.InboxDir, filepath.Base(in.File))
	if in.SubstackURL != "" {
		fmt.Fprintf(&b, "Substack: %s\n", in.SubstackURL)
	}
	fmt.Fprintf(&b, "Decision: %s\n", p.Decision)
	if len(in.Structure) > 0 {
		fmt.Fprintf(&b, "Structure: %s\n", strings.Join(in.Structure, " · "))
	}
	var names []string
	for _, a := range p.Linked {
		names = append(names, a.Name)
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, "Anchors linked: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "\nPromoted from the labfront admin by %s.\n", oneLine(id.Email))
	return b.String()
}

func anchorSummary(p *substack.Promotion) string {
	var linked, unlinked []string
	for _, a := range p.Linked {
		linked = append(linked, a.Name)
	}
	for _, a := range p.Unlinked {
		unlinked = append(unlinked, a.Name)
	}
	msg := fmt.Sprintf("%d anchors linked to /architecture/", len(linked))
	if len(linked) > 0 {
		msg += ": " + strings.Join(linked, ", ")
	}
	if len(unlinked) > 0 {
		msg += fmt.Sprintf("; %d with no linkable mention: %s", len(unlinked), strings.Join(unlinked, ", "))
	}
	return msg + "."
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func short(commit string) string { return commit[:min(len(commit), 12)] }
