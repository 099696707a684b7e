package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// raceEnabled is set when the tests run with -race, so that the action is
// built the same way and its packages come from the build cache.
var raceEnabled = false

// TestLoadtest runs the load test at a small scale, so that it keeps
// working: the calls must be at the lower bound. (Times and memory depend
// on the machine and are not checked here.)
func TestLoadtest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the action")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the action with")
	}
	bin := filepath.Join(t.TempDir(), "hook-redeliver")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.CommandContext(t.Context(), goTool, append(args, "github.com/hook-redeliver/hook-redeliver")...).CombinedOutput(); err != nil {
		t.Fatalf("build the action: %v\n%s", err, out)
	}

	for _, tt := range []struct {
		name string
		args []string
	}{
		{"steady state", nil},
		{"first run", []string{"-first-run"}},
		{"dry run", []string{"-dry-run"}},
		{"repeated", []string{"-runs", "2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(append([]string{"-deliveries", "2000", "-failed", "40", "-startup-runs", "1", "-binary", bin}, tt.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := run(t.Context(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			rep.print(&out)
			t.Logf("\n%s", out.String())
			// Only the API calls are checked: times and memory depend on
			// the machine (and on -race).
			if !rep.callsOK() {
				t.Errorf("the calls are not at the lower bound %+v: %v, %d repeated", rep.bounds(), rep.calls, rep.repeated)
			}
			if rep.sc.failed == 0 || rep.run.scanned != rep.sc.inWindow {
				t.Errorf("scanned %d of %d deliveries, %d failed GUIDs seeded", rep.run.scanned, rep.sc.inWindow, rep.sc.failed)
			}
		})
	}
}

func TestParseOptionsScript(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-script", "x.js", "-first-run"},
		{"-script", "x.js", "-dry-run"},
		{"-runs", "0"},
	} {
		if _, err := parseOptions(args, io.Discard); err == nil {
			t.Errorf("parseOptions(%q) accepted it", args)
		}
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		xs          []float64
		med, lo, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 2, 8}, 3, 1, 8},
	} {
		if med, lo, hi := spread(tt.xs); med != tt.med || lo != tt.lo || hi != tt.hi {
			t.Errorf("spread(%v) = %v, %v, %v; want %v, %v, %v", tt.xs, med, lo, hi, tt.med, tt.lo, tt.hi)
		}
	}
}

// TestMain lets the test binary serve as the launcher (see launch.go), as
// the command does.
func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == launchFlag {
		os.Exit(launch(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}
