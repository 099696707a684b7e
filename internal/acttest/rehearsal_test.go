//go:build act

package acttest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// localPinned is the runs.image of an action.yml pinned to an image on a
// registry on this machine: docker://127.0.0.1:PORT/NAME@sha256:DIGEST.
var localPinned = regexp.MustCompile(`^docker://(127\.0\.0\.1:[0-9]+)/([a-z0-9._/-]+)@(sha256:[0-9a-f]{64})$`)

// TestReleaseRehearsal runs the action as users of a release will: from an
// action.yml that the release's own script pinned to an image by digest, the
// image being on a registry (a local one) and nowhere on this machine, so
// that act has to pull it by digest. The run must do everything
// TestActWorkflow's does: the redeliveries, the checkpoint, the outputs and
// the summary.
//
// .ci/release-rehearsal.sh builds the image, pushes it to a registry it
// starts on 127.0.0.1, pins a copy of action.yml with
// .github/release/pin-image.sh, removes every local copy of the image, and
// runs this test with -pinned-action and -registry-log.
func TestReleaseRehearsal(t *testing.T) {
	if *pinnedAction == "" || *registryLog == "" {
		t.Fatalf("\n%[1]s\nTestReleaseRehearsal needs -pinned-action and -registry-log: run it through .ci/release-rehearsal.sh.\n%[1]s",
			strings.Repeat("#", 74))
	}
	requireTools(t, *jobImage)
	pinned, err := os.ReadFile(*pinnedAction)
	if err != nil {
		t.Fatal(err)
	}

	// The pinned action.yml is the repository's with only runs.image
	// changed, to an image by digest on the local registry.
	var doc, want map[string]any
	if err := yaml.Unmarshal(pinned, &doc); err != nil {
		t.Fatalf("parse %s: %v", *pinnedAction, err)
	}
	if err := yaml.Unmarshal(repoAction(t), &want); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	runs, _ := doc["runs"].(map[string]any)
	img, _ := runs["image"].(string)
	m := localPinned.FindStringSubmatch(img)
	if m == nil {
		t.Fatalf("%s: runs.image = %q, want docker://127.0.0.1:PORT/NAME@sha256:DIGEST", *pinnedAction, img)
	}
	ref, name, digest := strings.TrimPrefix(img, "docker://"), m[2], m[3]
	if wantRuns, _ := want["runs"].(map[string]any); wantRuns == nil || wantRuns["image"] != "Dockerfile" {
		t.Fatalf("the repository's action.yml: runs = %v, want image: Dockerfile", want["runs"])
	} else {
		wantRuns["image"] = img
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Fatalf("the pinned action.yml differs from the repository's in more than runs.image (-repository +pinned):\n%s", diff)
	}

	// Nothing of the image is on this machine, so act must pull it.
	if id, ok := localImage(t, ref); ok {
		t.Fatalf("image %s is on this machine already (%s); the rehearsal removes every local copy first", ref, id)
	}
	logStart := registryLogSize(t)

	firstRun(t, pinned, ref)

	// Pulled by digest from the local registry: docker has the image now
	// (inspecting REF@DIGEST finds it only under that digest), and the
	// registry served its manifest by digest while act ran.
	if _, ok := localImage(t, ref); !ok {
		t.Errorf("after the run docker has no image %s: act did not pull it", ref)
	}
	served := regexp.MustCompile(`"GET /v2/` + regexp.QuoteMeta(name) + `/manifests/` + regexp.QuoteMeta(digest) + ` HTTP/[0-9.]+" 200 `)
	log := registryLogSince(t, logStart)
	if !served.Match(log) {
		t.Errorf("the registry's log shows no GET of manifest %s of %s during the run; its requests then:\n%s", digest, name, requestLines(log))
	}
}

// localImage reports whether docker has an image for ref, and its id.
func localImage(t *testing.T, ref string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Id}}", ref).Output()
	return string(bytes.TrimSpace(out)), err == nil
}

func registryLogSize(t *testing.T) int64 {
	t.Helper()
	fi, err := os.Stat(*registryLog)
	if err != nil {
		t.Fatalf("the registry's log: %v", err)
	}
	return fi.Size()
}

// registryLogSince is what the registry logged after offset.
func registryLogSince(t *testing.T, offset int64) []byte {
	t.Helper()
	b, err := os.ReadFile(*registryLog)
	if err != nil {
		t.Fatalf("the registry's log: %v", err)
	}
	if int64(len(b)) < offset {
		t.Fatalf("the registry's log shrank during the run")
	}
	return b[offset:]
}

// requestLines keeps the access log's lines of a registry log.
func requestLines(log []byte) string {
	var b strings.Builder
	for line := range strings.Lines(string(log)) {
		if strings.Contains(line, `"GET /`) || strings.Contains(line, `"HEAD /`) {
			b.WriteString(line)
		}
	}
	return b.String()
}
