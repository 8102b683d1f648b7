package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/deploy/deployrun"
)

// maxHookBody bounds a webhook delivery. Push payloads list at most 20
// commits (GitHub) and are far smaller than this; anything bigger is not
// a push worth reading.
const maxHookBody = 5 << 20

// hookAnswer is the webhook's JSON answer, shown in the forge's delivery
// log.
type hookAnswer struct {
	Status string `json:"status"` // queued, ignored or pong
	Reason string `json:"reason,omitempty"`
	Run    int    `json:"run,omitempty"`
	Commit string `json:"commit,omitempty"`
}

// pushEvent is the part of a GitHub or Gitea push payload a deploy needs.
type pushEvent struct {
	Ref     string `json:"ref"`
	After   string `json:"after"`
	Deleted bool   `json:"deleted"`
	Pusher  struct {
		Name     string `json:"name"`
		Login    string `json:"login"`
		Username string `json:"username"`
	} `json:"pusher"`
}

var commitHash = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// gitHook is POST /hooks/git, for a Git server without a CI runner. The
// route is public because the forge cannot sign in: the HMAC signature of
// the body, keyed with the shared secret, is its authentication, checked
// in constant time before anything in the body is read. A good push to
// the configured branch queues a deploy; anything else is answered and
// ignored.
func (s *Server) gitHook(c echo.Context) error {
	d := s.deploys
	if d == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Git-push deploys are not configured on this server (deploys: in its config).")
	}
	req := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxHookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The delivery is larger than 5 MiB.")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "The delivery could not be read.")
	}
	if err := verifySignature(req.Header, body, []byte(d.Config().Secret)); err != nil {
		s.log.Warn("webhook: signature refused", "remote", req.RemoteAddr, "err", err)
		return echo.NewHTTPError(http.StatusUnauthorized, err.Error())
	}
	forge, event, delivery := "github", req.Header.Get("X-GitHub-Event"), req.Header.Get("X-GitHub-Delivery")
	if req.Header.Get("X-Gitea-Event") != "" {
		forge, event, delivery = "gitea", req.Header.Get("X-Gitea-Event"), req.Header.Get("X-Gitea-Delivery")
	}
	ignore := func(reason string) error {
		s.log.Info("webhook: delivery ignored", "forge", forge, "event", event, "delivery", delivery, "reason", reason)
		return c.JSON(http.StatusAccepted, hookAnswer{Status: "ignored", Reason: reason})
	}
	switch event {
	case "ping":
		return c.JSON(http.StatusOK, hookAnswer{Status: "pong"})
	case "push":
	case "":
		return echo.NewHTTPError(http.StatusBadRequest, "No event type: send X-GitHub-Event or X-Gitea-Event.")
	default:
		return ignore("event " + event + " is not a push")
	}
	if d.SeenDelivery(delivery) {
		return ignore("delivery " + delivery + " was already received")
	}
	payload, err := pushPayload(req.Header.Get("Content-Type"), body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	var ev pushEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The push payload is not valid JSON: "+err.Error())
	}
	if want := "refs/heads/" + d.Config().Branch; ev.Ref != want {
		return ignore("push to " + ev.Ref + "; deploys follow " + want)
	}
	after := strings.ToLower(ev.After)
	if ev.Deleted || strings.Trim(after, "0") == "" {
		return ignore("the push deleted " + ev.Ref)
	}
	if !commitHash.MatchString(after) {
		return echo.NewHTTPError(http.StatusBadRequest, "after is not a commit hash.")
	}
	who := "git push"
	if p := firstNonEmpty(ev.Pusher.Login, ev.Pusher.Username, ev.Pusher.Name); p != "" {
		who += " by " + p
	}
	who += " (" + forge + " delivery " + delivery + ")"
	run, reason := d.Enqueue(deployrun.Job{Trigger: deployrun.TriggerPush, Who: who, Commit: after, Delivery: delivery})
	if run == nil {
		return ignore(reason)
	}
	s.log.Info("webhook: deploy queued", "forge", forge, "delivery", delivery, "commit", after, "run", run.ID)
	return c.JSON(http.StatusAccepted, hookAnswer{Status: "queued", Run: run.ID, Commit: after})
}

// verifySignature checks every signature header the delivery carries (at
// least one): GitHub's X-Hub-Signature-256 ("sha256=" and the hex HMAC),
// and Gitea's X-Gitea-Signature (the bare hex HMAC). Gitea sends both, so
// both must match when both are there.
func verifySignature(h http.Header, body, secret []byte) error {
	if len(secret) == 0 {
		return errors.New("no webhook secret is configured")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	want := mac.Sum(nil)
	checked := 0
	for _, hd := range []struct{ name, prefix string }{{"X-Hub-Signature-256", "sha256="}, {"X-Gitea-Signature", ""}} {
		v := strings.TrimSpace(h.Get(hd.name))
		if v == "" {
			continue
		}
		hexSig, ok := strings.CutPrefix(v, hd.prefix)
		got, err := hex.DecodeString(hexSig)
		if !ok || err != nil || !hmac.Equal(got, want) {
			return errors.New("the " + hd.name + " signature does not match: check the webhook secret")
		}
		checked++
	}
	if checked == 0 {
		return errors.New("the delivery is not signed: set the webhook's secret (X-Hub-Signature-256 or X-Gitea-Signature)")
	}
	return nil
}

// pushPayload is the JSON of a delivery: the body, or GitHub's form
// encoding's payload field.
func pushPayload(contentType string, body []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		return nil, errors.New("the form-encoded delivery has no payload field")
	}
	return []byte(form.Get("payload")), nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
