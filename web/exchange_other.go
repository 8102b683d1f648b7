//go:build !linux

package web

// exchange is Linux's renameat2 RENAME_EXCHANGE; elsewhere publishing
// falls back to two renames (see place).
func exchange(a, b string) error { return errNoExchange }
