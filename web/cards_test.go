package web

import "regexp"

// cardKeyInName is the key part of a card's file name (see cards.go).
var cardKeyInName = regexp.MustCompile(`\.[0-9a-f]{10}\.png$`)
