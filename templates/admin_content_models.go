package templates

// ContentView is /admin/content: the Substack inbox of the site checkout
// and the outcome of the last promotion.
type ContentView struct {
	Head AdminHead
	// Inbox is the site's inbox directory, for the intro ("site/content/substack").
	Inbox    string
	Articles []InboxArticle
	// Problem is why the inbox could not be read (file:line messages), ""
	// when it could.
	Problem string
	// Checkout describes where a promotion commits and pushes.
	Checkout CheckoutInfo
	// Outcome is the result of the promotion this page answers, nil on a
	// plain GET.
	Outcome *PromoteOutcome
	// CanPromote is false for viewers, with the reason shown instead of
	// live buttons.
	CanPromote    bool
	PromoteReason string
}

// CheckoutInfo is the state of the site's git checkout.
type CheckoutInfo struct {
	Dir    string
	Branch string
	Remote string // "" when the checkout has no remote: commit only
	// Problem says why promotion cannot commit here (not a work tree, no
	// commits, detached HEAD); "" when it can.
	Problem string
}

// InboxArticle is one inbox file with its analysis.
type InboxArticle struct {
	File        string // the file's name in content/substack/, the form value
	ID          string // the card's HTML id
	Path        string // content/substack/<file>, for display
	Title       string
	Subtitle    string
	Date        string
	DateISO     string
	Type        string
	Audience    string
	Status      string // inbox or promoted
	SubstackURL string
	Structure   []string
	Anchors     []AnchorCount
	Decision    string
	// Promotable is whether the decision itself says promote (a note or
	// a paper); other decisions need an explicit choice in the form.
	Promotable bool
	Reasons    []string
	// NotePath and NoteURL are the promoted note, when there is one.
	NotePath string
	NoteURL  string
}

// AnchorCount is an implementation anchor with its mention count.
type AnchorCount struct {
	Name  string
	Kind  string
	Count int
}

// PromoteOutcome is what a promotion did, or why it did not.
type PromoteOutcome struct {
	OK      bool
	Title   string   // one line: "Promoted …" or "Promotion failed: …"
	Details []string // commit, push, restored files
	NoteURL string
}
