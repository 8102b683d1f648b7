package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// StatusError is a receiver's refusal.
type StatusError struct {
	Status int
	// RetryAfter is the receiver's Retry-After (429, 503), 0 if none.
	RetryAfter time.Duration
	// Body is the start of the response, for the delivery record.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Permanent reports whether retrying cannot help: a 4xx other than 408
// (timeout) and 429 (rate limited) means the request itself is wrong.
func (e *StatusError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// userAgent names labfront to receivers.
const userAgent = "labfront-notify/1"

// post sends body to target and checks the answer with accept (nil: any
// 2xx). Transport errors are rewritten without the URL, whose path is
// the credential of an incoming webhook.
func post(ctx context.Context, client *http.Client, target string, header http.Header, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, errors.New("cannot build the request (is the URL valid?)")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("POST %s: %w", origin(req.URL), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp, nil, fmt.Errorf("POST %s: reading the answer: %w", origin(req.URL), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, data, &StatusError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Body: excerpt(data)}
	}
	return resp, data, nil
}

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
