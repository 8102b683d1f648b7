package templates

// SearchView is /search/: the form, and the island that answers it.
type SearchView struct {
	Head Head
	// Script is the fingerprinted URL of the search island.
	Script string
	// IndexURL is the folder of the search index (meta.json and shards).
	IndexURL string
	Kinds    []SearchOption
	Tags     []SearchOption
}

// SearchOption is one choice of a filter.
type SearchOption struct {
	Value, Label string
}
