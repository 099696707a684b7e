package releasetest

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]job    `yaml:"jobs"`
}

type job struct {
	Permissions map[string]string `yaml:"permissions"`
	Steps       []step            `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal(readRepo(t, ".github/workflows/"+name), &w); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return w
}

// find returns the index of the first step that matches, or -1.
func find(steps []step, match func(step) bool) int { return slices.IndexFunc(steps, match) }

func runs(script string) func(step) bool {
	return func(s step) bool { return strings.Contains(s.Run, script) }
}

const attestAction = "actions/attest-build-provenance@"

// TestReleaseWorkflow: the release pins action.yml by digest with the
// pin script, records build provenance for that digest, and each job holds
// only the permissions it needs.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	w := readWorkflow(t, "release.yml")

	if len(w.Permissions) != 0 {
		t.Errorf("top-level permissions %v, want {}", w.Permissions)
	}
	wantPerms := map[string]map[string]string{
		"prepare": {"contents": "read"},
		"image":   {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
		"publish": {"contents": "write"},
	}
	gotPerms := map[string]map[string]string{}
	for name, j := range w.Jobs {
		gotPerms[name] = j.Permissions
	}
	if diff := cmp.Diff(wantPerms, gotPerms); diff != "" {
		t.Errorf("permissions by job (-want +got):\n%s", diff)
	}

	// Every action pinned by a full commit SHA.
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	for name, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.Uses != "" && !pinned.MatchString(s.Uses) {
				t.Errorf("job %s: %s is not pinned by a full commit SHA", name, s.Uses)
			}
		}
	}

	image := w.Jobs["image"].Steps
	build := find(image, func(s step) bool { return s.ID == "build" })
	attest := find(image, func(s step) bool { return strings.HasPrefix(s.Uses, attestAction) })
	switch {
	case build < 0:
		t.Error("the image job has no step with id build")
	case attest < 0:
		t.Errorf("the image job does not record provenance with %s", attestAction)
	case attest < build:
		t.Error("the image job attests before it builds")
	default:
		want := map[string]string{
			"subject-name":          "${{ needs.prepare.outputs.image }}",
			"subject-digest":        "${{ steps.build.outputs.digest }}",
			"push-to-registry":      "true",
			"create-storage-record": "false",
		}
		if diff := cmp.Diff(want, image[attest].With); diff != "" {
			t.Errorf("the attestation step's inputs (-want +got):\n%s", diff)
		}
	}

	// publish pins action.yml with the script, to the digest the image job
	// pushed, in a checkout without credentials, and changes action.yml no
	// other way.
	publish := w.Jobs["publish"].Steps
	pin := find(publish, runs(pinScript))
	if pin < 0 {
		t.Fatalf("the publish job does not run %s", pinScript)
	}
	if got, want := publish[pin].Env["REF"], "${{ needs.prepare.outputs.image }}@${{ needs.image.outputs.digest }}"; got != want {
		t.Errorf("the pin step's REF = %q, want %q", got, want)
	}
	if !strings.Contains(publish[pin].Run, `"$REF" action.yml`) {
		t.Errorf("the pin step does not pin action.yml to $REF: %q", publish[pin].Run)
	}
	for _, s := range publish {
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != "false" {
			t.Errorf("publish checks out with persist-credentials %q, want false", s.With["persist-credentials"])
		}
		if strings.Contains(s.Run, "sed") && strings.Contains(s.Run, "action.yml") {
			t.Errorf("step %q edits action.yml by other means than %s", s.Name, pinScript)
		}
	}
	for k, v := range publish[pin].Env {
		if strings.Contains(v, "token") || strings.Contains(v, "secrets.") {
			t.Errorf("the pin step gets a credential in %s", k)
		}
	}

	// prepare tries the same script on a copy before anything is built.
	if find(w.Jobs["prepare"].Steps, runs(pinScript)) < 0 {
		t.Errorf("the prepare job does not try %s", pinScript)
	}
}

// TestReleaseDoc: RELEASE.md names the pin script, tells users how to
// verify the provenance, and says what only GitHub can check.
func TestReleaseDoc(t *testing.T) {
	t.Parallel()
	doc := string(readRepo(t, "RELEASE.md"))
	for _, want := range []string{
		pinScript, "gh attestation verify", "oci://ghcr.io/", "--owner",
		"## What CI rehearses", "## What only GitHub can check", ".ci/release-rehearsal.sh",
		"CHANGELOG.md",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("RELEASE.md does not say %q", want)
		}
	}
	if strings.Contains(doc, "docker://ghcr.io/<owner>/<repo>:vX.Y.Z") {
		t.Error("RELEASE.md still has the release's action.yml name the image by tag")
	}
}
