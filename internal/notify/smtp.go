package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// SMTPOptions are an smtp notifier's own keys.
type SMTPOptions struct {
	Host     string
	Port     int
	From     string
	To       []string
	Username string
	// StartTLS is required unless starttls: false (a relay on the same
	// host); without it no password is ever sent (net/smtp refuses PLAIN
	// on a clear connection to another host).
	StartTLS bool
	// RootCAs verifies the server's certificate (ca_file); nil: the
	// system's roots.
	RootCAs *x509.CertPool
}

// smtpKind sends mail: connect, EHLO, STARTTLS, AUTH PLAIN (when a
// password is set), one message to every recipient, QUIT.
func smtpKind() Kind {
	return Kind{
		Name: "smtp",
		Keys: []string{"host", "port", "from", "to", "username", "password_env", "password_file", "starttls", "ca_file"},
		Configure: func(s Settings, c *Config) {
			f := s.Fields
			f.Require("host", "from", "to")
			o := SMTPOptions{Host: f.String("host"), Port: f.Int("port", 587), From: f.String("from"), To: f.Strings("to"),
				Username: f.String("username"), StartTLS: true}
			if f.Has("starttls") {
				o.StartTLS = f.Bool("starttls")
			}
			if o.Port < 1 || o.Port > 65535 {
				s.Errorf("port", "must be a port number, found %d", o.Port)
			}
			if o.From != "" {
				if _, err := mail.ParseAddress(o.From); err != nil {
					s.Errorf("from", "not a mail address: %q", o.From)
				}
			}
			for i, to := range o.To {
				if _, err := mail.ParseAddress(to); err != nil {
					s.Doc.Errorf(f.Node("to"), fmt.Sprintf("%s.to[%d]", s.Prefix, i), "not a mail address: %q", to)
				}
			}
			c.Password = s.Secret("password")
			if c.Password != "" && o.Username == "" {
				o.Username = o.From
			}
			if c.Password != "" && !o.StartTLS {
				s.Errorf("starttls", "a password is only ever sent over STARTTLS: remove starttls: false or the password")
			}
			if ca := f.String("ca_file"); ca != "" {
				pem, err := s.Env.ReadFile(ca)
				pool := x509.NewCertPool()
				if err != nil {
					s.Errorf("ca_file", "%v", err)
				} else if !pool.AppendCertsFromPEM(pem) {
					s.Errorf("ca_file", "%s holds no PEM certificate", ca)
				}
				o.RootCAs = pool
			}
			c.SMTP = o
		},
		New: func(c Config, _ *http.Client) (Sender, error) {
			return &smtpSender{opt: c.SMTP, password: c.Password}, nil
		},
	}
}

type smtpSender struct {
	opt      SMTPOptions
	password string
}

var _ Sender = (*smtpSender)(nil)

func (s *smtpSender) Send(ctx context.Context, m Message) error {
	addr := net.JoinHostPort(s.opt.Host, strconv.Itoa(s.opt.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return errors.Join(err, conn.Close())
		}
	}
	// Close the connection when ctx ends, so a hung server cannot hold
	// the retry loop.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.opt.Host)
	if err != nil {
		return errors.Join(fmt.Errorf("smtp %s: %w", addr, err), conn.Close())
	}
	defer c.Close()
	if err := s.deliver(c, m); err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	return c.Quit()
}

func (s *smtpSender) deliver(c *smtp.Client, m Message) error {
	if err := c.Hello("labfront"); err != nil {
		return err
	}
	if s.opt.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS")
		}
		if err := c.StartTLS(&tls.Config{ServerName: s.opt.Host, RootCAs: s.opt.RootCAs, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if s.password != "" {
		if err := c.Auth(smtp.PlainAuth("", s.opt.Username, s.password, s.opt.Host)); err != nil {
			return fmt.Errorf("AUTH PLAIN: %w", err)
		}
	}
	if err := c.Mail(s.opt.From); err != nil {
		return err
	}
	for _, to := range s.opt.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("RCPT %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg, err := s.mail(m)
	if err != nil {
		return errors.Join(err, w.Close())
	}
	if _, err := w.Write(msg); err != nil {
		return errors.Join(err, w.Close())
	}
	return w.Close()
}

// mail is the RFC 5322 message: UTF-8 text, quoted-printable.
func (s *smtpSender) mail(m Message) ([]byte, error) {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	domain := "labfront.invalid"
	if at := strings.LastIndexByte(s.opt.From, '@'); at >= 0 {
		domain = strings.Trim(s.opt.From[at+1:], "> ")
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", s.opt.From)
	hdr("To", strings.Join(s.opt.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject()))
	hdr("Date", m.At.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	hdr("X-Labfront-Event", m.Event)
	hdr("X-Labfront-Incident", m.Incident.ID)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Text(), "\n", "\r\n") + "\r\n")); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
