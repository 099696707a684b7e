package releasetest

import (
	"gopkg.in/yaml.v3"

	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	versionHeading = regexp.MustCompile(`^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2}|Unreleased)$`)
	linkRef        = regexp.MustCompile(`^\[([^\]]+)\]: (https://\S+)$`)
	kinds          = []string{"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
)

const repoURL = "https://github.com/hook-redeliver/hook-redeliver"

// TestChangelog: CHANGELOG.md keeps Keep a Changelog 1.1.0's form: an
// Unreleased section first, then one section per version, newest first,
// dated (a version not tagged yet says Unreleased until its release date is
// written in), changes grouped under the six kinds, and a link for every
// section. The release workflow refuses a final release whose section has
// no date.
func TestChangelog(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimRight(string(readRepo(t, "CHANGELOG.md")), "\n"), "\n")
	if lines[0] != "# Changelog" {
		t.Errorf("first line %q, want # Changelog", lines[0])
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"https://keepachangelog.com/en/1.1.0/", "https://semver.org/"} {
		if !strings.Contains(text, want) {
			t.Errorf("CHANGELOG.md does not link %s", want)
		}
	}

	var (
		sections []string // "Unreleased", then version numbers
		prev     [3]int
		prevDate time.Time
		links    = map[string]string{}
	)
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "## "):
			if len(sections) == 0 {
				if line != "## [Unreleased]" {
					t.Errorf("line %d: the first section is %q, want ## [Unreleased]", i+1, line)
				}
				sections = append(sections, "Unreleased")
				continue
			}
			m := versionHeading.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("line %d: %q is not ## [X.Y.Z] - YYYY-MM-DD", i+1, line)
				continue
			}
			var v [3]int
			for j := range v {
				v[j], _ = strconv.Atoi(m[j+1])
			}
			if len(sections) > 1 && slices.Compare(v[:], prev[:]) >= 0 {
				t.Errorf("line %d: version %s is not older than the one above", i+1, line)
			}
			if m[4] != "Unreleased" {
				d, err := time.Parse(time.DateOnly, m[4])
				if err != nil {
					t.Errorf("line %d: %v", i+1, err)
				} else if !prevDate.IsZero() && d.After(prevDate) {
					t.Errorf("line %d: dated after the version above", i+1)
				}
				prevDate = d
			} else if len(sections) > 1 {
				t.Errorf("line %d: only the newest version may be undated", i+1)
			}
			prev = v
			sections = append(sections, m[1]+"."+m[2]+"."+m[3])
		case strings.HasPrefix(line, "### "):
			if !slices.Contains(kinds, strings.TrimPrefix(line, "### ")) {
				t.Errorf("line %d: %q is none of %v", i+1, line, kinds)
			}
		case linkRef.MatchString(line):
			m := linkRef.FindStringSubmatch(line)
			links[strings.ToLower(m[1])] = m[2]
		}
	}
	if len(sections) < 2 {
		t.Fatalf("CHANGELOG.md has sections %v, want Unreleased and at least one version", sections)
	}
	newest := sections[1]
	if got, want := links["unreleased"], repoURL+"/compare/v"+newest+"...HEAD"; got != want {
		t.Errorf("[unreleased] links %q, want %q", got, want)
	}
	for i, v := range sections[1:] {
		want := repoURL + "/releases/tag/v" + v
		if i+2 < len(sections) {
			want = repoURL + "/compare/v" + sections[i+2] + "...v" + v
		}
		if got := links[v]; got != want {
			t.Errorf("[%s] links %q, want %q", v, got, want)
		}
	}

	if !strings.Contains(string(readRepo(t, "README.md")), "](CHANGELOG.md)") {
		t.Error("README.md does not link CHANGELOG.md")
	}
}

// TestChangelogNamesEveryInput: every input and output action.yml declares
// is named, in backticks, in the changelog: a release that adds one says so.
func TestChangelogNamesEveryInput(t *testing.T) {
	t.Parallel()
	var action struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(readRepo(t, "action.yml"), &action); err != nil {
		t.Fatal(err)
	}
	changelog := string(readRepo(t, "CHANGELOG.md"))
	for _, names := range []map[string]any{action.Inputs, action.Outputs} {
		for name := range names {
			if !strings.Contains(changelog, "`"+name+"`") && !strings.Contains(changelog, "`"+name+":") {
				t.Errorf("CHANGELOG.md does not name %s", name)
			}
		}
	}
}
