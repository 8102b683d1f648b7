package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/incident"
)

// EventTest is the event of the admin's "send a test" action.
const EventTest = "test"

// Message is what every notifier is told, whatever its format.
type Message struct {
	// Event is opened, updated, resolved or test.
	Event string
	// At is when the event happened.
	At       time.Time
	Incident incident.Incident
	// Systems are the incident's systems by lab id, for filtering; they
	// stay so in a public notifier's copy.
	Systems []string
	// URL is the status page, for links ("" for none).
	URL string
}

// FromEvent is the message of an incident event, with the admin's record
// of the incident (lab ids: notifiers filter on them); notifiers marked
// public get the public copy (DispatcherOptions.Publish).
func FromEvent(ev incident.Event, statusURL string) Message {
	return Message{Event: string(ev.Kind), At: ev.At, Incident: ev.Incident, Systems: ev.Incident.Systems, URL: statusURL}
}

// TestMessage is the admin's "send a test".
func TestMessage(at time.Time, statusURL string) Message {
	return Message{Event: EventTest, At: at, URL: statusURL, Incident: incident.Incident{
		ID: "test", Title: "Test notification from labfront", Status: incident.Investigating, Started: at,
		Summary: "This is a test: the notifier works.",
	}}
}

// Subject is the one-line headline every kind uses.
func (m Message) Subject() string {
	switch m.Event {
	case string(incident.Opened):
		return "Incident: " + m.Incident.Title
	case string(incident.Updated):
		return fmt.Sprintf("Update (%s): %s", m.Incident.Status, m.Incident.Title)
	case string(incident.ResolvedEvt):
		return "Resolved: " + m.Incident.Title
	}
	return m.Incident.Title
}

// Text is the plain-text body every kind uses: the summary, the latest
// update, how long it lasted, and the link.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Incident.Summary)
	if n := len(m.Incident.Updates); n > 0 && m.Event != string(incident.Opened) {
		u := m.Incident.Updates[n-1]
		fmt.Fprintf(&b, "\n\n%s: %s", u.Status, u.Text)
	}
	switch {
	case !m.Incident.Resolved.IsZero():
		fmt.Fprintf(&b, "\n\nDown from %s for %s.", m.Incident.Started.UTC().Format(time.RFC3339), m.Incident.Resolved.Sub(m.Incident.Started).Round(time.Second))
	case m.Event != EventTest:
		fmt.Fprintf(&b, "\n\nDown since %s.", m.Incident.Started.UTC().Format(time.RFC3339))
	}
	if m.URL != "" {
		b.WriteString("\n" + m.URL)
	}
	return b.String()
}
