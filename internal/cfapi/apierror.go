// Package cfapi is labfront's access to the Cloudflare API, shared by the
// Pages deploy, the tunnel provisioning and the admin server's tunnel
// health: the credentials and where they come from, the one retry policy
// every call is made with, API errors put for people, and the tunnel
// connections the admin server reads. It sits below deploy, tunnel and
// internal/live so that the dependencies point down.
package cfapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6"
)

// APIError is what a person needs from a Cloudflare API error: its HTTP
// status, its codes and its messages. cloudflare-go's own message carries
// the request URL and the raw answer, which help nobody fix anything.
type APIError struct {
	Status int
	Codes  []int64
	Detail string // "message (code N); …", or the status text
}

// AsAPIError finds the Cloudflare API error in err.
func AsAPIError(err error) (APIError, bool) {
	var ae *cloudflare.Error
	if !errors.As(err, &ae) {
		return APIError{}, false
	}
	out := APIError{Status: ae.StatusCode}
	var msgs []string
	for _, e := range ae.Errors {
		out.Codes = append(out.Codes, e.Code)
		msgs = append(msgs, fmt.Sprintf("%s (code %d)", e.Message, e.Code))
	}
	out.Detail = strings.Join(msgs, "; ")
	if out.Detail == "" {
		out.Detail = http.StatusText(ae.StatusCode)
	}
	return out, true
}

// Has reports whether the error carries Cloudflare error code code.
func (e APIError) Has(code int64) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// TokenRefused reports whether Cloudflare refused the API token itself
// (HTTP 401 or 403, or the codes it uses for a bad token).
func (e APIError) TokenRefused() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Has(10000) || e.Has(6003)
}
