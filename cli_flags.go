package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// minLoop is the shortest --loop interval: a pass lists at least one page of
// deliveries, and the next must not start before the last one's redeliveries
// show up in the list.
const minLoop = time.Minute

// help describes one flag in --help.
type help struct {
	group string // heading
	arg   string // what the value is, "" for a switch
	text  string
}

// Help groups, in the order --help shows them.
var helpGroups = []string{"Webhook", "Credentials", "Checkpoint", "Run", "Many targets", "Filters", "Notification", "Command line"}

// cliHelp describes Config's flags, by env key, and the command line's own.
var cliHelp = map[string]help{
	"ORG":        {"Webhook", "LOGIN", "organization whose webhook to check; a list of organizations, or all (every organization the App is installed in), each with all its webhooks"},
	"REPOSITORY": {"Webhook", "OWNER/NAME", "repository whose webhook to check, or a list (neither org nor repository: the GitHub App's own webhook)"},
	"HOOK_ID":    {"Webhook", "ID", "webhook id of the org or repository, or its settings page or API URL pasted whole (https://github.com/organizations/acme/settings/hooks/123456); a list such as 123,456; or all"},
	"API_URL":    {"Webhook", "URL", "REST API base URL, e.g. https://ghes.example.com/api/v3 for Enterprise Server (default $GITHUB_API_URL, else https://api.github.com)"},

	"APP_ID":           {"Credentials", "ID", "GitHub App id or client id; required for the App's webhook; without a token, the App's installation tokens are used"},
	"PRIVATE_KEY":      {"Credentials", "PEM", "the App's private key (the .pem file's text); prefer PRIVATE_KEY or --private-key-file: other users can read a flag in ps"},
	"PRIVATE_KEY_FILE": {"Credentials", "PATH", "read the App's private key from this file"},
	"TOKEN":            {"Credentials", "TOKEN", "token for org or repository webhooks and a checkpoint variable; prefer TOKEN or --token-file: other users can read a flag in ps"},
	"TOKEN_FILE":       {"Credentials", "PATH", "read the token from this file"},
	"INSTALLATION_ID":  {"Credentials", "ID", "App installation to use for an org or repository webhook instead of looking it up"},

	"CHECKPOINT_FILE":       {"Checkpoint", "PATH", "keep the checkpoint in this file, locked while a run uses it (\"_<hook id>\" is appended with several hooks)"},
	"CHECKPOINT_VARIABLE":   {"Checkpoint", "NAME", "keep the checkpoint in this repository Actions variable instead of a file (default derived from the webhook, e.g. REDELIVER_ORG_ACME_HOOK_123)"},
	"CHECKPOINT_REPOSITORY": {"Checkpoint", "OWNER/NAME", "repository holding the checkpoint variable; setting it selects a variable instead of a file"},
	"CHECKPOINT_STORE":      {"Checkpoint", "WHERE", "repository (default: the checkpoint repository's variables) or organization (each webhook's organization's own variables, for many targets)"},

	"SINCE":               {"Run", "TIME", "read from this time, this run only: RFC 3339 (2026-11-20T06:00:00Z), epoch milliseconds, or back from now (36h, 3d)"},
	"DRY_RUN":             {"Run", "", "list what would be redelivered; redeliver nothing, write no checkpoint"},
	"MAX_REDELIVERIES":    {"Run", "N", "most redeliveries per pass, oldest first (0 = no cap)"},
	"MAX_ATTEMPTS":        {"Run", "N", "stop redelivering a GUID once it has N failed attempts (0 = until GitHub's retention ends)"},
	"TIMEOUT":             {"Run", "DURATION", "time budget of a pass; it stops redelivering in time to save the checkpoint"},
	"REDELIVERY_INTERVAL": {"Run", "DURATION", "least time between two redelivery requests"},

	"PLAN":     {"Many targets", "", "list the targets (--org all, or lists) and print the matrix of legs a workflow runs, one per App installation; redeliver nothing"},
	"LEG":      {"Many targets", "JSON", "run one leg of a plan's matrix: its webhooks, installations and checkpoints"},
	"PARALLEL": {"Many targets", "N", "most identities (App installations) worked on at once; one identity's webhooks run one after another"},

	"EVENTS":               {"Filters", "LIST", "only redeliver these events, optionally with an action: push,pull_request.opened (default every event)"},
	"EXCLUDE_STATUS_CODES": {"Filters", "LIST", "skip deliveries whose last attempt the receiver answered with one of these codes or ranges, for a receiver that rejects payloads on purpose, e.g. 400-407,409-424,426-428,430-499 (default none: every failed delivery is redelivered)"},

	"DISPATCH_EVENT_TYPE": {"Notification", "TYPE", "when deliveries are left failed, send a repository_dispatch event of this type with a summary"},
	"DISPATCH_REPOSITORY": {"Notification", "OWNER/NAME", "repository that receives the repository_dispatch event (default $GITHUB_REPOSITORY in a workflow)"},

	"loop":    {"Command line", "INTERVAL", "run a pass every INTERVAL (at least 1m) until SIGINT or SIGTERM, e.g. 15m; --since applies to the first pass"},
	"json":    {"Command line", "", "print the report as JSON (one line per pass)"},
	"demo":    {"Command line", "", "run one pass against a simulated GitHub seeded with failed deliveries and print its report, marked SIMULATED, as a real run prints it (--json and --dry-run apply); with nothing configured the binary does so only when stdout is a terminal, and otherwise exits 2"},
	"version": {"Command line", "", "print the version and exit: a release's, else the module version or commit Go recorded in the build"},
}

// flagValue records a flag under its env key.
type flagValue struct {
	inv    *invocation
	key    string
	isBool bool
}

func (f *flagValue) String() string   { return "" }
func (f *flagValue) IsBoolFlag() bool { return f.isBool }
func (f *flagValue) Set(v string) error {
	f.inv.flags[f.key] = strings.TrimSpace(v)
	f.inv.flagFrom[f.key] = "--" + input.Name(f.key)
	return nil
}

// parseCLI reads the flags. It returns a nil invocation when there is
// nothing more to do: with no error after --help, with one wrapping errUsage
// after a bad flag or argument, which it has reported.
func parseCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) (*invocation, error) {
	inv := &invocation{
		getenv: getenv, stdout: stdout, stderr: stderr,
		flags: map[string]string{}, flagFrom: map[string]string{}, envFiles: map[string]string{},
	}
	fs := inv.flagSet()
	// The flag package's messages quote values; they are printed below,
	// unless they might quote a credential.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage(fs, getenv))
			return nil, nil
		}
		problem := err.Error()
		for i, a := range args {
			if what, _ := input.Shape(a); what != "" {
				problem = fmt.Sprintf("bad flags; argument %d looks like it holds %s (not shown)", i+1, what)
				break
			}
		}
		fmt.Fprintln(stderr, "hook-redeliver:", problem)
		fmt.Fprintln(stderr, "run hook-redeliver --help for the flags and variables")
		return nil, fmt.Errorf("%w: %s", errUsage, problem)
	}
	if fs.NArg() > 0 {
		arg := input.Value("", fs.Arg(0))
		fmt.Fprintf(stderr, "hook-redeliver: unexpected argument: %s; settings are flags (--org acme) or variables, see --help\n", arg)
		return nil, fmt.Errorf("%w: unexpected argument: %s", errUsage, arg)
	}
	inv.nflags = fs.NFlag()
	for k, v := range inv.flags {
		if v == "" { // --since="" is no since
			delete(inv.flags, k)
			delete(inv.flagFrom, k)
		}
	}
	inv.dropIn, inv.dropInFrom, inv.dropInErrs = config.ScriptVariables(getenv)
	return inv, nil
}

func (inv *invocation) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("hook-redeliver", flag.ContinueOnError)
	for _, k := range config.Settings() {
		fs.Var(&flagValue{inv: inv, key: k.Key, isBool: k.IsBool}, k.Flag, cliHelp[k.Key].text)
	}
	for _, k := range []string{"PRIVATE_KEY_FILE", "TOKEN_FILE", "CHECKPOINT_FILE"} {
		fs.Var(&flagValue{inv: inv, key: k}, input.Name(k), cliHelp[k].text)
	}
	fs.Func("loop", cliHelp["loop"].text, func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < minLoop {
			return fmt.Errorf("want a duration of at least %s such as 15m or 1h", minLoop)
		}
		inv.loop = d
		return nil
	})
	fs.BoolVar(&inv.json, "json", false, cliHelp["json"].text)
	fs.BoolVar(&inv.demo, "demo", false, cliHelp["demo"].text)
	fs.BoolVar(&inv.version, "version", false, cliHelp["version"].text)
	return fs
}

// usage is the --help text: every flag with its variable and default.
func usage(fs *flag.FlagSet, getenv func(string) string) string {
	var b strings.Builder
	b.WriteString(`Usage: hook-redeliver [flags]

Finds failed deliveries of a GitHub webhook (a GitHub App's, an
organization's or a repository's) and redelivers each failed event once.
Outside GitHub Actions it runs one pass, or one every INTERVAL with --loop,
keeps its checkpoint in a local file, and prints a report on stdout.

Each setting is a flag or an environment variable. A flag wins over its
variable, which wins over the name GitHub's documented scripts use, which
wins over the default.
`)
	defaults := map[string]string{}
	for _, k := range config.Settings() {
		defaults[k.Key] = k.Default
	}
	defaults["CHECKPOINT_FILE"] = defaultCheckpointPath(getenv)
	defaults["loop"] = "off: one pass"

	// Flags in Config's order, each credential file after its setting and
	// the checkpoint file first among the checkpoint's: the order a reader
	// fills them in, not the alphabet's.
	var order []string
	for _, k := range config.Settings() {
		if k.Key == "CHECKPOINT_VARIABLE" {
			order = append(order, "checkpoint-file")
		}
		order = append(order, k.Flag)
		if k.Key == "PRIVATE_KEY" || k.Key == "TOKEN" {
			order = append(order, k.Flag+"-file")
		}
	}
	order = append(order, "loop", "json", "demo", "version")

	for _, g := range helpGroups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		for _, name := range order {
			f := fs.Lookup(name)
			key := input.Key(f.Name)
			env := "$" + key
			h, ok := cliHelp[key]
			if !ok {
				key, env = f.Name, ""
				h = cliHelp[key]
			}
			if h.group != g {
				continue
			}
			line := "  --" + f.Name
			if h.arg != "" {
				line += " " + h.arg
			}
			var notes []string
			if env != "" {
				notes = append(notes, env)
			}
			if d := defaults[key]; d != "" {
				notes = append(notes, "default "+d)
			}
			if len(notes) > 0 {
				line += "  (" + strings.Join(notes, ", ") + ")"
			}
			fmt.Fprintf(&b, "%s\n%s", line, wrap(h.text, "      ", 78))
		}
	}

	b.WriteString(`
GitHub's documented scripts' variables are read too, so the binary runs
with their workflow step's env: unchanged and keeps their checkpoint:
  ORGANIZATION_NAME                 as --org
  REPO_OWNER and REPO_NAME          as --repository OWNER/NAME
  LAST_REDELIVERY_VARIABLE_NAME     as --checkpoint-variable
  WORKFLOW_REPO_OWNER and WORKFLOW_REPO_NAME (or WORKFLOW_REPO)
                                    as --checkpoint-repository OWNER/NAME
  HOSTNAME                          as --api-url https://HOSTNAME/api/v3, only
                                    next to the names above and with a dot in it
  APP_ID, PRIVATE_KEY, TOKEN, HOOK_ID are the same names.

Checkpoint: a local file by default, written atomically and locked for the
whole run (a second run on the same file exits 3); or a repository Actions
variable when --checkpoint-variable, --checkpoint-repository or the scripts'
names ask for one, and by default inside a workflow run (GITHUB_ACTIONS=true).

Examples:
  # An organization webhook, the token mounted by a secret manager:
  hook-redeliver --org acme --hook-id 12345678 --token-file /run/secrets/github-token \
      --checkpoint-file /var/lib/hook-redeliver/acme

  # The GitHub App's webhook, a pass every 15 minutes until SIGTERM:
  APP_ID=123456 PRIVATE_KEY_FILE=/etc/hook-redeliver/app.pem hook-redeliver --loop 15m

  # What a repository webhook would need redelivered over 3 days, as JSON:
  TOKEN=... hook-redeliver --repository acme/shop --hook-id 88 --since 3d --dry-run --json

  # GitHub's organization script's variables, checkpoint kept in their variable:
  TOKEN=... ORGANIZATION_NAME=acme HOOK_ID=12345678 \
  LAST_REDELIVERY_VARIABLE_NAME=LAST_REDELIVERY WORKFLOW_REPO_OWNER=acme \
  WORKFLOW_REPO_NAME=ops hook-redeliver

  # Try it against a simulated GitHub (also what a bare hook-redeliver does
  # in a terminal):
  hook-redeliver --demo

Exit status: 0 every webhook was handled; 1 the run failed (the report says
what was done); 2 bad flags, variables or files, or nothing configured
outside a terminal; 3 another run holds the checkpoint file's lock. --loop
exits 0 once stopped by SIGINT or SIGTERM.
`)
	return b.String()
}

// wrap breaks text into lines of at most width columns, each indented.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if line != indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
	return b.String()
}
