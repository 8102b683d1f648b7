package manifests_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type step struct {
	Name            string            `yaml:"name"`
	ID              string            `yaml:"id"`
	Uses            string            `yaml:"uses"`
	Run             string            `yaml:"run"`
	With            map[string]string `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	If              string            `yaml:"if"`
	ContinueOnError any               `yaml:"continue-on-error"`
}

type workflow struct {
	On struct {
		Push *struct {
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	} `yaml:"on"`
	Jobs map[string]struct {
		Needs           any    `yaml:"needs"`
		If              string `yaml:"if"`
		ContinueOnError any    `yaml:"continue-on-error"`
		Steps           []step `yaml:"steps"`
	} `yaml:"jobs"`
}

const deployCmd = "go run ./cmd/labfront deploy"

// stepIndex returns the index of the one step whose run script has a line
// that is exactly cmd.
func stepIndex(t *testing.T, file string, steps []step, cmd string) int {
	t.Helper()
	found := -1
	for i, s := range steps {
		for _, line := range strings.Split(s.Run, "\n") {
			if strings.TrimSpace(line) == cmd {
				if found >= 0 {
					t.Errorf("%s: %q runs in two steps", file, cmd)
				}
				found = i
			}
		}
	}
	if found < 0 {
		t.Errorf("%s: no step runs %q", file, cmd)
	}
	return found
}

func TestDeployWorkflows(t *testing.T) {
	for _, file := range []string{".github/workflows/deploy.yml", ".gitea/workflows/deploy.yml"} {
		t.Run(file, func(t *testing.T) {
			var wf workflow
			dec := yaml.NewDecoder(bytes.NewReader(read(t, file)))
			if err := dec.Decode(&wf); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if wf.On.Push == nil || !slices.Contains(wf.On.Push.Branches, "main") {
				t.Errorf("%s: does not trigger on a push to main", file)
			}
			// One job holds both steps, so "before" is the step order
			// (jobs run in parallel unless chained with needs:).
			var job string
			for name, j := range wf.Jobs {
				for _, s := range j.Steps {
					if strings.Contains(s.Run, deployCmd) {
						job = name
					}
				}
			}
			if job == "" {
				t.Fatalf("%s: no job runs %q", file, deployCmd)
			}
			j := wf.Jobs[job]
			if j.ContinueOnError != nil || j.If != "" {
				t.Errorf("%s: job %s must not continue on error or run conditionally", file, job)
			}
			steps := j.Steps
			if len(steps) == 0 || !strings.HasPrefix(steps[0].Uses, "actions/checkout@") {
				t.Errorf("%s: the first step must check out the repository", file)
			}
			goSetup := slices.IndexFunc(steps, func(s step) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
			if goSetup < 0 || steps[goSetup].With["go-version-file"] != "go.mod" {
				t.Errorf("%s: Go must be set up from go.mod (actions/setup-go with go-version-file: go.mod)", file)
			}

			test := stepIndex(t, file, steps, "make test")
			deploy := stepIndex(t, file, steps, deployCmd)
			if test < 0 || deploy < 0 {
				return
			}
			if test > deploy {
				t.Errorf("%s: the deploy (step %d) runs before the tests (step %d)", file, deploy+1, test+1)
			}
			if goSetup > test {
				t.Errorf("%s: Go is set up after the tests run", file)
			}
			if steps[test].Env["CI"] != "true" {
				t.Errorf("%s: make test runs without CI=true, so missing test tools would be skipped", file)
			}
			// A failed or skipped test step must stop the deploy: no
			// continue-on-error on anything up to the deploy, and no if:
			// such as always() on the deploy itself.
			for i := 0; i <= deploy; i++ {
				if steps[i].ContinueOnError != nil {
					t.Errorf("%s: step %d has continue-on-error", file, i+1)
				}
			}
			if steps[deploy].If != "" || steps[test].If != "" {
				t.Errorf("%s: the test and deploy steps must not be conditional", file)
			}
			for _, secret := range []string{"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"} {
				want := "${{ secrets." + secret + " }}"
				if got := steps[deploy].Env[secret]; got != want {
					t.Errorf("%s: deploy step env %s = %q, want %q", file, secret, got, want)
				}
				// Secrets go to the deploy step only, not to the tests.
				for i, s := range steps {
					if i != deploy && strings.Contains(s.Run+strings.Join(mapValues(s.Env), " "), "secrets.") {
						t.Errorf("%s: step %d (%s) sees a secret", file, i+1, s.Name)
					}
				}
			}
		})
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
