package templates

// DriftView is /admin/drift: where lab.yaml and the live sources disagree.
type DriftView struct {
	Head AdminHead
	// AskedAt is when the sources were last asked, "" before the first time.
	AskedAt string
	// Failed are the sources that did not answer, with why.
	Failed []string
	Items  []DriftItem
	// CanApply is false for viewers and when the site checkout cannot
	// take a commit; ApplyReason says why.
	CanApply    bool
	ApplyReason string
	Checkout    CheckoutInfo
	Outcome     *DriftOutcome
}

// DriftItem is one disagreement.
type DriftItem struct {
	// ID names the item in the apply form; it changes when the item does.
	ID string
	// Kind is new, unseen or differs.
	Kind    string
	Node    string
	Source  string
	Message string
	// Action is the button's text ("Add as private", "Update"), "" when
	// there is nothing to apply.
	Action string
}

// DriftOutcome is how an apply ended.
type DriftOutcome struct {
	OK      bool
	Title   string
	Details []string
}
