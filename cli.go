package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/sethvargo/go-envconfig"
	"github.com/sethvargo/go-githubactions"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
)

// Exit statuses of the command line.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed; the report says what was done
	exitUsage   = 2 // bad flags, environment or files
	exitLocked  = 3 // another run holds the checkpoint file's lock
)

// defaultCheckpointFile is the checkpoint file's name when --checkpoint-file
// is not given: in $STATE_DIRECTORY (set by systemd's StateDirectory=) or
// the working directory.
const defaultCheckpointFile = "hook-redeliver-checkpoint"

// minLoop is the shortest --loop interval: a pass lists at least one page of
// deliveries, and the next must not start before the last one's redeliveries
// show up in the list.
const minLoop = time.Minute

// maxSecretFile bounds what --private-key-file and --token-file read.
const maxSecretFile = 1 << 20

// runCLI runs outside GitHub Actions: settings from flags and the
// environment, a report on stdout, progress on stderr. With --demo it runs
// against a simulated GitHub instead; with nothing configured too, but only
// when stdout is a terminal (a person trying it out). terminal tells
// whether stdout is one.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, terminal bool) int {
	return runCLIWith(ctx, args, getenv, stdout, stderr, terminal, deps{clock: clock.Real{}})
}

// runCLIWith is runCLI with the surroundings given, for tests. If d.store is
// set it is used instead of the checkpoint store the settings select (the
// file is still locked when that store is a file).
func runCLIWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, terminal bool, d deps) int {
	inv, code := parseCLI(args, getenv, stdout, stderr)
	if inv == nil {
		return code
	}
	if inv.version {
		fmt.Fprintln(stdout, "hook-redeliver", version)
		return exitOK
	}
	switch {
	case inv.demo:
		return runDemo(ctx, stdout, stderr)
	case inv.unconfigured() && terminal:
		fmt.Fprintln(stderr, "hook-redeliver: nothing configured (no APP_ID, TOKEN, ORG or REPOSITORY): running against a SIMULATED GitHub. See --help and the README to run it for real.")
		return runDemo(ctx, stdout, stderr)
	case inv.unconfigured():
		// A cron job or service that lost its environment: fail loudly
		// rather than report a simulated success.
		fmt.Fprintln(stderr, unconfiguredMessage)
		return exitUsage
	}

	cfg, st, err := inv.config(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", inv.explain(err))
		return exitUsage
	}
	d.log = &textLogger{w: stderr}
	hooks := ""
	if cfg.target != (targetSpec{}) {
		hooks = ", hooks " + cfg.hooks.String()
	}
	fmt.Fprintf(stderr, "hook-redeliver %s: %s%s, API %s, checkpoint: %s%s\n",
		version, cfg.target, hooks, cfg.APIURL, st, inv.dropInNote())
	for _, n := range cfg.notes {
		fmt.Fprintf(stderr, "%s: %s\n", inv.label(strings.ToUpper(strings.ReplaceAll(n.input, "-", "_"))), n.text)
	}

	if st.file != "" {
		if d.store == nil {
			base, several := st.file, cfg.hooks.all || len(cfg.hooks.ids) > 1
			d.store = func(_ *Config, hookID int64, _ *github.Client) checkpoint.Store {
				return checkpoint.NewFile(checkpoint.PerHook(base, several, hookID))
			}
		}
		// A dry run writes nothing, so it may run next to a real one.
		if !cfg.DryRun {
			lock, err := checkpoint.LockFile(st.file)
			var locked *checkpoint.LockedError
			switch {
			case errors.As(err, &locked):
				fmt.Fprintln(stderr, "hook-redeliver:", err)
				return exitLocked
			case err != nil:
				fmt.Fprintf(stderr, "hook-redeliver: %s: %v\n", inv.label("CHECKPOINT_FILE"), err)
				return exitUsage
			}
			defer lock.Unlock()
		}
	}

	if inv.loop > 0 {
		return inv.runLoop(ctx, cfg, d)
	}
	rep, err := execute(ctx, cfg, d)
	inv.writeReport(rep, 0)
	if getenv("GITHUB_ACTIONS") == "true" {
		// The binary run as a workflow step: give the job the outputs and
		// summary the action would.
		writeResults(githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stderr)), getenv, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "hook-redeliver:", inv.explain(err))
		return exitFailure
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "hook-redeliver: interrupted before the run finished; the checkpoint records what was handled")
		return exitFailure
	}
	return exitOK
}

// runLoop runs a pass every interval until ctx is cancelled (SIGINT,
// SIGTERM). A pass is timed from its start; one that overruns is followed by
// the next at once. --since applies to the first pass only. A failed pass is
// reported and the loop goes on: the next pass retries. A pass interrupted by
// a signal still saves its checkpoint (run.go), so stopping is clean and
// exits 0. The checkpoint file stays locked from the first pass to the end.
func (inv *invocation) runLoop(ctx context.Context, cfg *Config, d deps) int {
	for pass := 1; ; pass++ {
		began := d.clock.Now()
		rep, err := execute(ctx, cfg, d)
		inv.writeReport(rep, pass)
		if err != nil {
			fmt.Fprintf(inv.stderr, "hook-redeliver: pass %d failed: %s\n", pass, inv.explain(err))
		}
		if ctx.Err() != nil {
			break
		}
		if cfg.since.set() {
			// --since is for one pass: the next ones go on from the
			// checkpoint that pass saved.
			cfg.since, cfg.Since = sinceSpec{}, ""
		}
		next := began.Add(inv.loop)
		fmt.Fprintf(inv.stderr, "hook-redeliver: next pass at %s\n", stamp(next))
		if err := d.clock.Sleep(ctx, max(0, next.Sub(d.clock.Now()))); err != nil {
			break
		}
	}
	fmt.Fprintln(inv.stderr, "hook-redeliver: stopping; the checkpoint records what was handled")
	return exitOK
}

// writeReport prints one pass's report: plain text, or one line of JSON per
// pass with --json (JSON Lines in --loop). pass is 0 outside --loop.
func (inv *invocation) writeReport(rep *report.Run, pass int) {
	if inv.json {
		b, err := rep.JSON()
		if err != nil {
			fmt.Fprintln(inv.stderr, "hook-redeliver: render the JSON report:", err)
			return
		}
		fmt.Fprintf(inv.stdout, "%s\n", b)
		return
	}
	if pass > 0 {
		fmt.Fprintf(inv.stdout, "== pass %d\n", pass)
	}
	fmt.Fprint(inv.stdout, rep.Text())
}

// settingKey is one Config field: its env key, flag and default.
type settingKey struct {
	key    string // APP_ID: the env variable, and the Lookuper key
	flag   string // app-id
	def    string // from the default= tag option; "" if none
	isBool bool
}

// settingKeys lists Config's fields with an env tag, in order. Flags are
// made from them, so a new input is a new flag with nothing else to do but
// describe it in cliHelp.
func settingKeys() []settingKey {
	var keys []settingKey
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		k := settingKey{key: strings.TrimSpace(key), isBool: f.Type.Kind() == reflect.Bool}
		k.flag = inputName(k.key)
		// As go-envconfig reads it: everything after "default=" is the
		// default, commas included.
		if _, def, ok := strings.Cut(opts, "default="); ok {
			k.def = def
		}
		keys = append(keys, k)
	}
	return keys
}

// help describes one flag in --help.
type help struct {
	group string // heading
	arg   string // what the value is, "" for a switch
	text  string
}

// Help groups, in the order --help shows them.
var helpGroups = []string{"Webhook", "Credentials", "Checkpoint", "Run", "Filters", "Notification", "Command line"}

// cliHelp describes Config's flags, by env key, and the command line's own.
var cliHelp = map[string]help{
	"ORG":        {"Webhook", "LOGIN", "organization whose webhook to check"},
	"REPOSITORY": {"Webhook", "OWNER/NAME", "repository whose webhook to check (neither org nor repository: the GitHub App's own webhook)"},
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

	"SINCE":               {"Run", "TIME", "read from this time, this run only: RFC 3339 (2026-11-20T06:00:00Z), epoch milliseconds, or back from now (36h, 3d)"},
	"DRY_RUN":             {"Run", "", "list what would be redelivered; redeliver nothing, write no checkpoint"},
	"MAX_REDELIVERIES":    {"Run", "N", "most redeliveries per pass, oldest first (0 = no cap)"},
	"MAX_ATTEMPTS":        {"Run", "N", "stop redelivering a GUID once it has N failed attempts (0 = until GitHub's retention ends)"},
	"TIMEOUT":             {"Run", "DURATION", "time budget of a pass; it stops redelivering in time to save the checkpoint"},
	"REDELIVERY_INTERVAL": {"Run", "DURATION", "least time between two redelivery requests"},

	"EVENTS":               {"Filters", "LIST", "only redeliver these events, optionally with an action: push,pull_request.opened (default every event)"},
	"EXCLUDE_STATUS_CODES": {"Filters", "LIST", "skip deliveries whose last attempt the receiver answered with one of these codes or ranges, for a receiver that rejects payloads on purpose, e.g. 400-407,409-424,426-428,430-499 (default none: every failed delivery is redelivered)"},

	"DISPATCH_EVENT_TYPE": {"Notification", "TYPE", "when deliveries are left failed, send a repository_dispatch event of this type with a summary"},
	"DISPATCH_REPOSITORY": {"Notification", "OWNER/NAME", "repository that receives the repository_dispatch event (default $GITHUB_REPOSITORY in a workflow)"},

	"loop":    {"Command line", "INTERVAL", "run a pass every INTERVAL (at least 1m) until SIGINT or SIGTERM, e.g. 15m; --since applies to the first pass"},
	"json":    {"Command line", "", "print the report as JSON (one line per pass)"},
	"demo":    {"Command line", "", "run one pass against a simulated GitHub seeded with failed deliveries and print its SIMULATED summary; with nothing configured the binary does so only when stdout is a terminal, and otherwise exits 2"},
	"version": {"Command line", "", "print the version and exit"},
}

// fileFlags are the command line's credential files: the flag and variable
// naming the file, and the setting its content stands for.
var fileFlags = []struct{ key, file string }{
	{"PRIVATE_KEY", "PRIVATE_KEY_FILE"},
	{"TOKEN", "TOKEN_FILE"},
}

// invocation is one command line: what it set and where each setting came
// from. Settings are looked up flag first, then the environment under the
// same name, then GitHub's documented scripts' names; defaults come last,
// from Config's tags.
type invocation struct {
	getenv         func(string) string
	stdout, stderr io.Writer

	flags      map[string]string // by env key: values set by flags (a credential file's content under its setting)
	flagFrom   map[string]string // by env key: the flag that set it, e.g. "--private-key-file"
	envFiles   map[string]string // by env key: content of PRIVATE_KEY_FILE / TOKEN_FILE
	dropIn     map[string]string // by env key: values from the scripts' names
	dropInFrom map[string]string // by env key: the names, e.g. "ORGANIZATION_NAME"
	dropInErrs map[string]error  // by env key: a half-given pair of the scripts' names

	nflags  int
	loop    time.Duration
	json    bool
	demo    bool
	version bool
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
	f.inv.flagFrom[f.key] = "--" + inputName(f.key)
	return nil
}

// parseCLI reads the flags. It returns nil and the exit status when there is
// nothing more to do (--help, a bad flag).
func parseCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) (*invocation, int) {
	inv := &invocation{
		getenv: getenv, stdout: stdout, stderr: stderr,
		flags: map[string]string{}, flagFrom: map[string]string{}, envFiles: map[string]string{},
	}
	fs := inv.flagSet()
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage(fs, getenv))
			return nil, exitOK
		}
		fmt.Fprintln(stderr, "run hook-redeliver --help for the flags and variables")
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hook-redeliver: unexpected argument %q: settings are flags (--org acme) or variables; see --help\n", fs.Arg(0))
		return nil, exitUsage
	}
	inv.nflags = fs.NFlag()
	for k, v := range inv.flags {
		if v == "" { // --since="" is no since
			delete(inv.flags, k)
			delete(inv.flagFrom, k)
		}
	}
	inv.dropIn, inv.dropInFrom, inv.dropInErrs = dropIn(getenv)
	return inv, exitOK
}

func (inv *invocation) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("hook-redeliver", flag.ContinueOnError)
	for _, k := range settingKeys() {
		fs.Var(&flagValue{inv: inv, key: k.key, isBool: k.isBool}, k.flag, cliHelp[k.key].text)
	}
	for _, k := range []string{"PRIVATE_KEY_FILE", "TOKEN_FILE", "CHECKPOINT_FILE"} {
		fs.Var(&flagValue{inv: inv, key: k}, inputName(k), cliHelp[k].text)
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

// env reads a variable as the Lookuper sees it: trimmed, empty is unset.
func (inv *invocation) env(key string) string { return strings.TrimSpace(inv.getenv(key)) }

// Lookup implements envconfig.Lookuper: flag, then environment, then the
// scripts' names.
func (inv *invocation) Lookup(key string) (string, bool) {
	if v, ok := inv.flags[key]; ok {
		return v, true
	}
	if v, ok := inv.envFiles[key]; ok {
		return v, true
	}
	if v := inv.env(key); v != "" {
		return v, true
	}
	v, ok := inv.dropIn[key]
	return v, ok
}

// from names where a setting came from, for messages: "--org", "ORG",
// "ORGANIZATION_NAME", or "" if it is unset.
func (inv *invocation) from(key string) string {
	if f, ok := inv.flagFrom[key]; ok {
		return f
	}
	for _, ff := range fileFlags {
		if ff.key == key {
			if _, ok := inv.envFiles[key]; ok {
				return ff.file
			}
		}
	}
	if inv.env(key) != "" {
		return key
	}
	if inv.fromDropIn(key) {
		return inv.dropInFrom[key] + " (read as --" + inputName(key) + ")"
	}
	return ""
}

// fromDropIn reports whether a setting's value is the scripts' name's: it
// is set there and nowhere that wins over it.
func (inv *invocation) fromDropIn(key string) bool {
	_, flag := inv.flags[key]
	_, file := inv.envFiles[key]
	_, dropIn := inv.dropIn[key]
	return dropIn && !flag && !file && inv.env(key) == ""
}

// label names a setting in a message: where its value came from, or, when
// it is unset, the flag and variable that would set it.
func (inv *invocation) label(key string) string {
	if f := inv.from(key); f != "" {
		return f
	}
	return "--" + inputName(key) + " / " + key
}

// inputRE finds the "input org: " that Config's messages start with.
var inputRE = regexp.MustCompile(`(?m)^input ([a-z][a-z-]*): `)

// explain rewrites the action's "input hook-id: ..." into the command
// line's "--hook-id / HOOK_ID: ...", naming the flag or variable at fault.
func (inv *invocation) explain(err error) string {
	return inputRE.ReplaceAllStringFunc(err.Error(), func(m string) string {
		name := inputRE.FindStringSubmatch(m)[1]
		return inv.label(strings.ToUpper(strings.ReplaceAll(name, "-", "_"))) + ": "
	})
}

// unconfiguredMessage is the one line printed when nothing is configured
// and no person is watching: what to set, and how to ask for the demo.
const unconfiguredMessage = "hook-redeliver: nothing configured: set APP_ID and PRIVATE_KEY (a GitHub App's webhook), or TOKEN with ORG or REPOSITORY and HOOK_ID, as variables or flags (see --help); or run --demo for a simulated GitHub"

// unconfigured reports whether nothing at all was asked for: no flag, and
// no webhook or credential from any source. The CLI then runs the demo if a
// person is watching, and fails otherwise.
func (inv *invocation) unconfigured() bool {
	if inv.nflags > 0 {
		return false
	}
	for _, k := range []string{"APP_ID", "PRIVATE_KEY", "TOKEN", "ORG", "REPOSITORY", "HOOK_ID", "PRIVATE_KEY_FILE", "TOKEN_FILE"} {
		if _, ok := inv.Lookup(k); ok {
			return false
		}
	}
	return true
}

// storeChoice is where the checkpoint lives: a file, or a repository
// variable (Config's checkpoint settings).
type storeChoice struct {
	file string // absolute path; "" for a variable
	desc string // for the first log line
}

func (s storeChoice) String() string { return s.desc }

// config reads the credential files, loads and validates the Config, and
// picks the checkpoint store. Every error is bad input.
func (inv *invocation) config(ctx context.Context) (*Config, storeChoice, error) {
	var st storeChoice
	if err := inv.readCredentialFiles(); err != nil {
		return nil, st, err
	}
	for _, k := range slices.Sorted(maps.Keys(inv.dropInErrs)) {
		if _, ok := inv.flags[k]; !ok && inv.env(k) == "" {
			return nil, st, inv.dropInErrs[k]
		}
	}

	cfg, err := loadConfig(ctx, inv)
	if err != nil {
		return nil, st, err
	}

	// The checkpoint: a file unless a variable is asked for, by our names
	// or the scripts' (a user switching from them keeps their variable), or
	// the binary runs in a workflow, where a file would not outlive the job.
	file, fileSet := inv.Lookup("CHECKPOINT_FILE")
	_, repoSet := inv.Lookup("CHECKPOINT_REPOSITORY")
	_, varSet := inv.Lookup("CHECKPOINT_VARIABLE")
	switch {
	case fileSet && (repoSet || varSet):
		other := "CHECKPOINT_REPOSITORY"
		if !repoSet {
			other = "CHECKPOINT_VARIABLE"
		}
		return nil, st, fmt.Errorf("%s and %s: both set; keep the checkpoint in a file or in a repository variable, not both", inv.label("CHECKPOINT_FILE"), inv.label(other))
	case fileSet, repoSet || varSet || inv.getenv("GITHUB_ACTIONS") == "true":
	default:
		file = defaultCheckpointFile
		if dirs := inv.env("STATE_DIRECTORY"); dirs != "" {
			dir, _, _ := strings.Cut(dirs, ":")
			file = filepath.Join(dir, defaultCheckpointFile)
		}
		fileSet = true
	}
	if fileSet {
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, st, fmt.Errorf("%s: %w", inv.label("CHECKPOINT_FILE"), err)
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			return nil, st, fmt.Errorf("%s: %s is a directory; name a file in it", inv.label("CHECKPOINT_FILE"), abs)
		}
		st.file = abs
		cfg.fileStore = true
	}

	if err := cfg.Validate(runnerFromEnv(inv.getenv)); err != nil {
		return nil, st, err
	}
	switch {
	case st.file != "":
		st.desc = st.file
	case !cfg.hooks.all && len(cfg.hooks.ids) == 1:
		st.desc = fmt.Sprintf("variable %s in %s/%s", cfg.variableFor(cfg.hooks.ids[0]), cfg.cpOwner, cfg.cpRepo)
	default:
		st.desc = fmt.Sprintf("a variable per webhook in %s/%s", cfg.cpOwner, cfg.cpRepo)
	}
	// Parse the key now, so a damaged one is bad input (exit 2) rather than
	// a failed run. Its errors never quote the key.
	if cfg.AppID != "" {
		if _, err := auth.ParsePrivateKey(cfg.PrivateKey); err != nil {
			return nil, st, fmt.Errorf("input %w", err)
		}
	}
	return cfg, st, nil
}

// readCredentialFiles reads --private-key-file, --token-file and their
// variables into the settings they stand for, at the level they were given
// (a flag or the environment). Their content is never printed.
func (inv *invocation) readCredentialFiles() error {
	for _, ff := range fileFlags {
		fileFlag := "--" + inputName(ff.file)
		if path, ok := inv.flags[ff.file]; ok {
			if _, also := inv.flags[ff.key]; also {
				return fmt.Errorf("--%s and %s: set one, not both", inputName(ff.key), fileFlag)
			}
			v, err := readSecretFile(path)
			if err != nil {
				return fmt.Errorf("%s: %w", fileFlag, err)
			}
			inv.flags[ff.key], inv.flagFrom[ff.key] = v, fileFlag
			continue
		}
		if _, ok := inv.flags[ff.key]; ok {
			continue // a flag wins over both variables
		}
		path := inv.env(ff.file)
		if path == "" {
			continue
		}
		if inv.env(ff.key) != "" {
			return fmt.Errorf("%s and %s: set one, not both", ff.key, ff.file)
		}
		v, err := readSecretFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", ff.file, err)
		}
		inv.envFiles[ff.key] = v
	}
	return nil
}

// readSecretFile reads a credential mounted by a secret manager. Errors
// name the file, never its content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes: not a key or token", path, maxSecretFile)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// dropIn reads the variables of GitHub's documented redelivery scripts
// ("Automatically redelivering failed deliveries for a GitHub App /
// organization / repository webhook") into the settings they stand for, so
// the binary runs with a workflow step's env: unchanged. APP_ID,
// PRIVATE_KEY, TOKEN and HOOK_ID are the same names in both. A pair given by
// half is an error, reported only if the setting is not given otherwise.
func dropIn(getenv func(string) string) (vals, from map[string]string, errs map[string]error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	vals, from, errs = map[string]string{}, map[string]string{}, map[string]error{}
	set := func(key, v, name string) { vals[key], from[key] = v, name }
	pair := func(key, ownerName, owner, nameName, name string) {
		switch {
		case owner != "" && name != "":
			set(key, owner+"/"+name, ownerName+" and "+nameName)
		case owner != "":
			errs[key] = fmt.Errorf("%s: set, but not %s; GitHub's scripts need both for --%s", ownerName, nameName, inputName(key))
		case name != "":
			errs[key] = fmt.Errorf("%s: set, but not %s; GitHub's scripts need both for --%s", nameName, ownerName, inputName(key))
		}
	}

	if v := get("ORGANIZATION_NAME"); v != "" {
		set("ORG", v, "ORGANIZATION_NAME")
	}
	pair("REPOSITORY", "REPO_OWNER", get("REPO_OWNER"), "REPO_NAME", get("REPO_NAME"))
	if v := get("LAST_REDELIVERY_VARIABLE_NAME"); v != "" {
		set("CHECKPOINT_VARIABLE", v, "LAST_REDELIVERY_VARIABLE_NAME")
	}
	// The App and organization scripts say WORKFLOW_REPO_NAME, the
	// repository script WORKFLOW_REPO.
	wName, wNameVar := get("WORKFLOW_REPO_NAME"), "WORKFLOW_REPO_NAME"
	if wName == "" {
		wName, wNameVar = get("WORKFLOW_REPO"), "WORKFLOW_REPO"
	}
	pair("CHECKPOINT_REPOSITORY", "WORKFLOW_REPO_OWNER", get("WORKFLOW_REPO_OWNER"), wNameVar, wName)

	// HOSTNAME names an Enterprise Server in the scripts, but shells,
	// containers and Kubernetes set it to the machine's name. Read it only
	// next to the scripts' other names, and only if it looks like a server's
	// domain name (a container's or pod's name has no dot).
	if len(vals)+len(errs) > 0 {
		h := strings.TrimSuffix(strings.TrimPrefix(get("HOSTNAME"), "https://"), "/")
		if hostRE.MatchString(h) && strings.Contains(h, ".") && h != "github.com" && h != "api.github.com" {
			set("API_URL", "https://"+h+"/api/v3", "HOSTNAME")
		}
	}
	return vals, from, errs
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)

// dropInNote tells which of the scripts' names were read, for the first log
// line.
func (inv *invocation) dropInNote() string {
	var used []string
	for _, k := range slices.Sorted(maps.Keys(inv.dropInFrom)) {
		if inv.fromDropIn(k) {
			used = append(used, inv.dropInFrom[k])
		}
	}
	if len(used) == 0 {
		return ""
	}
	return " (from GitHub's script variables " + strings.Join(used, ", ") + ")"
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
	bools := map[string]bool{}
	for _, k := range settingKeys() {
		defaults[k.key], bools[k.key] = k.def, k.isBool
	}
	state := defaultCheckpointFile
	if dirs := strings.TrimSpace(getenv("STATE_DIRECTORY")); dirs != "" {
		dir, _, _ := strings.Cut(dirs, ":")
		state = filepath.Join(dir, defaultCheckpointFile)
	}
	defaults["CHECKPOINT_FILE"] = state
	defaults["loop"] = "off: one pass"

	// Flags in Config's order, each credential file after its setting and
	// the checkpoint file first among the checkpoint's: the order a reader
	// fills them in, not the alphabet's.
	var order []string
	for _, k := range settingKeys() {
		if k.key == "CHECKPOINT_VARIABLE" {
			order = append(order, "checkpoint-file")
		}
		order = append(order, k.flag)
		if k.key == "PRIVATE_KEY" || k.key == "TOKEN" {
			order = append(order, k.flag+"-file")
		}
	}
	order = append(order, "loop", "json", "demo", "version")

	for _, g := range helpGroups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		for _, name := range order {
			f := fs.Lookup(name)
			key := strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
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

var _ envconfig.Lookuper = (*invocation)(nil)
