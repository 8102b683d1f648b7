package notify

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/testkit/golden"
)

// TestMailGolden: the message the smtp notifier sends (headers and
// quoted-printable UTF-8 body) is the golden file; the Message-ID is
// random and masked. The end-to-end test sends it through mailpit.
func TestMailGolden(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 7, 2, 0, 0, time.UTC)
	inc := incident.Incident{
		ID: "2026-12-03-pve-io", Cause: "pve-io", Systems: []string{"pve-io", "jellyfin"}, Status: incident.Investigating,
		Title: "pve-io is down (1 more affected)", Summary: "pve-io is down. jellyfin — the media server — is unreachable because pve-io is down.",
		Started: at.Add(-2 * time.Minute),
	}
	s := &smtpSender{opt: SMTPOptions{From: "lab@example.org", To: []string{"me@example.org", "ops@example.org"}}}
	got, err := s.mail(FromEvent(incident.Event{Kind: incident.Opened, At: at, Incident: inc}, "https://lab.example/status/"))
	if err != nil {
		t.Fatal(err)
	}
	got = regexp.MustCompile(`Message-ID: <[0-9a-f]+@`).ReplaceAll(got, []byte("Message-ID: <MASKED@"))
	golden.Check(t, filepath.Join("testdata", "smtp.golden"), got)
}
