package main

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
)

type actionSpec struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) actionSpec {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionSpec
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// readmeTable returns the first column of the table between the markers.
func readmeTable(t *testing.T, section string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "<!-- "+section+":start")
	j := strings.Index(s, "<!-- "+section+":end -->")
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s table markers", section)
	}
	rows := map[string]string{}
	cell := regexp.MustCompile("^\\| `([a-z-]+)` \\|(.*)$")
	for _, line := range strings.Split(s[i:j], "\n") {
		if m := cell.FindStringSubmatch(line); m != nil {
			rows[m[1]] = m[2]
		}
	}
	return rows
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestActionYAMLIsMarketplaceReady(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	if a.Name == "" || a.Description == "" || strings.Contains(a.Description, "\n") || a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Errorf("action.yml needs a name, a one-line description and branding: %+v", a)
	}
	if a.Runs.Using != "docker" || a.Runs.Image == "" {
		t.Errorf("runs = %+v, want a docker action", a.Runs)
	}
	for name, in := range a.Inputs {
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	for name, out := range a.Outputs {
		if strings.TrimSpace(out.Description) == "" {
			t.Errorf("output %s has no description", name)
		}
	}
}

// TestInputsAgree: action.yml, the README's table and Config name the same
// inputs, with the same defaults.
func TestInputsAgree(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	readme := readmeTable(t, "inputs")
	if diff := cmp.Diff(keys(a.Inputs), keys(readme)); diff != "" {
		t.Errorf("inputs in action.yml (-) vs the README table (+):\n%s", diff)
	}
	fields := map[string]reflect.StructField{}
	ct := reflect.TypeOf(config.Config{})
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		if tag := f.Tag.Get("env"); tag != "" {
			key, _, _ := strings.Cut(tag, ",")
			fields[input.Name(key)] = f
		}
	}
	if diff := cmp.Diff(keys(a.Inputs), keys(fields)); diff != "" {
		t.Errorf("inputs in action.yml (-) vs Config's env keys (+):\n%s", diff)
	}
	for name, in := range a.Inputs {
		f, ok := fields[name]
		if !ok {
			continue
		}
		_, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		// As go-envconfig reads it: default= takes the rest of the tag,
		// commas included.
		codeDefault := ""
		if i := strings.Index(opts, "default="); i >= 0 {
			codeDefault = opts[i+len("default="):]
		}
		yamlDefault := ""
		if in.Default != nil {
			yamlDefault = *in.Default
		}
		if codeDefault != yamlDefault {
			t.Errorf("input %s: default %q in Config, %q in action.yml", name, codeDefault, yamlDefault)
		}
		if yamlDefault != "" && !strings.Contains(readme[name], "`"+yamlDefault+"`") {
			t.Errorf("input %s: the README's row does not show the default `%s`", name, yamlDefault)
		}
	}
}

// TestOutputsAgree: action.yml, the README and what the code writes.
func TestOutputsAgree(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	if diff := cmp.Diff(keys(a.Outputs), keys(readmeTable(t, "outputs"))); diff != "" {
		t.Errorf("outputs in action.yml (-) vs the README table (+):\n%s", diff)
	}
	written := (&report.Run{}).Outputs()
	if diff := cmp.Diff(keys(a.Outputs), keys(written)); diff != "" {
		t.Errorf("outputs in action.yml (-) vs the outputs the action writes (+):\n%s", diff)
	}
}

// TestManyOrganizationsFigures: the README's figures for many organizations
// are the code's.
func TestManyOrganizationsFigures(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var groups []matrix.Group
	for i := range 100 {
		org := fmt.Sprintf("org-%04d", i)
		g := matrix.Group{Account: org, Installation: int64(1000 + i)}
		for h := range 10 {
			id := int64(10_000_000 + i*100 + h)
			g.Targets = append(g.Targets, matrix.Target{Org: org, Hook: id, Var: checkpoint.DefaultName("", org, "", "", id), State: "org:" + org})
		}
		groups = append(groups, g)
	}
	m, err := matrix.Build(groups)
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	perHook := len(js) / 1000
	for _, want := range []string{
		fmt.Sprintf("| 500 variables | %d in all |", checkpoint.RepoVariables/checkpoint.VariablesPerTarget),
		fmt.Sprintf("| 1,000 variables an organization | %d in each organization", checkpoint.OrgVariables/checkpoint.VariablesPerTarget),
		fmt.Sprintf("At most %d legs: past %d installations they share %d legs", matrix.MaxLegs, matrix.MaxLegs, matrix.MaxLegs),
		fmt.Sprintf("about %d bytes a webhook, so about %s webhooks", (perHook+5)/10*10, thousands(matrix.MaxOutput/perHook/500*500)),
		"up to `parallel` (default " + defaultOf(t, "PARALLEL") + ")",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
}

func defaultOf(t *testing.T, key string) string {
	for _, s := range config.Settings() {
		if s.Key == key {
			return s.Default
		}
	}
	t.Fatalf("no setting %s", key)
	return ""
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	if len(s) > 3 {
		s = s[:len(s)-3] + "," + s[len(s)-3:]
	}
	return s
}
