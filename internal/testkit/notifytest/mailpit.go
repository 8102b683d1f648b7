package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// MailpitVersion is the mailpit e2e/install-deps.sh installs with go
// install; keep the two in step.
const MailpitVersion = "v1.33.1"

// MailpitBinary is $LABFRONT_MAILPIT, or where e2e/install-deps.sh puts
// it (${XDG_CACHE_HOME:-~/.cache}/labfront/mailpit-VERSION/mailpit).
func MailpitBinary() (string, error) {
	if p := os.Getenv("LABFRONT_MAILPIT"); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "labfront", "mailpit-"+MailpitVersion, "mailpit"), nil
}

// Mailpit is a running mailpit: SMTP on SMTPPort with STARTTLS required
// (a certificate for 127.0.0.1 signed by itself, in CAFile) and AUTH for
// User/Password only; its HTTP API on API.
type Mailpit struct {
	SMTPPort       int
	API            string
	CAFile         string
	User, Password string
}

// StartMailpit starts mailpit for the test; it is killed at cleanup. A
// missing binary skips the test, except on CI (CI=true), where it fails.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin, err := MailpitBinary()
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mailpit is required on CI (sh e2e/install-deps.sh): %v", err)
		}
		t.Skipf("mailpit not installed (sh e2e/install-deps.sh): %v", err)
	}
	dir := t.TempDir()
	m := &Mailpit{User: "lab", Password: "s3cret-mail-pass", CAFile: filepath.Join(dir, "cert.pem")}
	key := filepath.Join(dir, "key.pem")
	writeCert(t, m.CAFile, key)
	sum := sha1.Sum([]byte(m.Password))
	auth := filepath.Join(dir, "auth")
	if err := os.WriteFile(auth, []byte(m.User+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.SMTPPort = freePort(t)
	api := freePort(t)
	m.API = fmt.Sprintf("http://127.0.0.1:%d", api)
	cmd := exec.Command(bin,
		"--smtp", fmt.Sprintf("127.0.0.1:%d", m.SMTPPort), "--listen", fmt.Sprintf("127.0.0.1:%d", api),
		"--database", filepath.Join(dir, "mail.db"),
		"--smtp-tls-cert", m.CAFile, "--smtp-tls-key", key, "--smtp-require-starttls",
		"--smtp-auth-file", auth, "--smtp-disable-rdns", "--quiet",
		// It would ask its project's release page for a newer version:
		// tests reach nothing beyond loopback.
		"--disable-version-check")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cmd.Process.Kill(); err != nil {
			t.Log(err)
		}
		_ = cmd.Wait() // killed: the error is the signal
	})
	// Ready when the API answers; bounded (30 s: a loaded CI machine).
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; ; i++ {
		resp, err := client.Get(m.API + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 600 {
			t.Fatalf("mailpit did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

// Mail is one message mailpit holds.
type Mail struct {
	ID, Subject string
	To          []string
	Text        string
}

// Messages are every message mailpit received, oldest first.
func (m *Mailpit) Messages(t testing.TB) []Mail {
	t.Helper()
	var list struct {
		Messages []struct {
			ID      string
			Subject string
			To      []struct{ Address string }
		} `json:"messages"`
	}
	m.get(t, "/api/v1/messages", &list)
	var out []Mail
	for i := len(list.Messages) - 1; i >= 0; i-- { // newest first in the API
		e := list.Messages[i]
		var full struct{ Text string }
		m.get(t, "/api/v1/message/"+e.ID, &full)
		mail := Mail{ID: e.ID, Subject: e.Subject, Text: full.Text}
		for _, to := range e.To {
			mail.To = append(mail.To, to.Address)
		}
		out = append(out, mail)
	}
	return out
}

func (m *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(m.API + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t testing.TB, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
