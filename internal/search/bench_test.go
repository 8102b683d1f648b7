package search

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkAnalyzeBody analyses a 900-word body like the benchmark
// corpus's: it is most of the index's build time.
func BenchmarkAnalyzeBody(b *testing.B) {
	vocab := strings.Fields("the lab cluster node proxmox container tunnel cloudflare edge cache latency snapshot metrics prometheus alert backup storage network mesh tailscale subnet route build drone orchestrator kernel package compile cores memory disk volume replica service deploy pipeline commit review static render template feed sitemap worker origin fallback health probe we it is was and or but with from into over under after before while because so then also")
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for i := range 900 {
		sb.WriteString(vocab[r.IntN(len(vocab))])
		if i%12 == 11 {
			sb.WriteString(". ")
		} else {
			sb.WriteByte(' ')
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	a := NewAnalyzer()
	for b.Loop() {
		a.Body(text)
	}
}
