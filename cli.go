package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// runCLI runs outside GitHub Actions: configuration from the environment
// (APP_ID, TOKEN, ...), a plain-text report on stdout. With nothing
// configured, or with --demo, it runs against a simulated GitHub instead.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hook-redeliver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run one pass against a simulated GitHub seeded with failed deliveries")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "hook-redeliver", version)
		return 0
	}
	lookup := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := strings.TrimSpace(getenv(key))
		return v, v != ""
	})
	if *demo || !configured(lookup) {
		if !*demo {
			fmt.Fprintln(stderr, "hook-redeliver: nothing configured (no APP_ID, TOKEN, ORG or REPOSITORY): running against a SIMULATED GitHub. See --help and the README to run it for real.")
		}
		return runDemo(ctx, stdout, stderr)
	}
	cfg, err := loadConfig(ctx, lookup)
	if err == nil {
		err = cfg.Validate(runner{apiURL: getenv("GITHUB_API_URL"), repository: getenv("GITHUB_REPOSITORY")})
	}
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", err)
		return 2
	}
	rep, err := execute(ctx, cfg, deps{clock: clock.Real{}, log: &textLogger{w: stderr}})
	fmt.Fprint(stdout, rep.Text())
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", err)
		return 1
	}
	return 0
}

// configured reports whether any target or credential is set.
func configured(l envconfig.Lookuper) bool {
	for _, k := range []string{"APP_ID", "PRIVATE_KEY", "TOKEN", "ORG", "REPOSITORY", "HOOK_ID"} {
		if _, ok := l.Lookup(k); ok {
			return true
		}
	}
	return false
}

// textLogger logs to a terminal or a cron mail.
type textLogger struct{ w io.Writer }

func (l *textLogger) Infof(format string, args ...any) { fmt.Fprintf(l.w, format+"\n", args...) }
func (l *textLogger) Warningf(format string, args ...any) {
	fmt.Fprintf(l.w, "warning: "+format+"\n", args...)
}
func (l *textLogger) Group(title string) { fmt.Fprintf(l.w, "== %s\n", title) }
func (l *textLogger) EndGroup()          {}

// AddMask does nothing: tokens are never printed, and a terminal has no
// masking to ask for.
func (l *textLogger) AddMask(string) {}
