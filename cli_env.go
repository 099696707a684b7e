package main

import (
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// defaultCheckpointFile is the checkpoint file's name when --checkpoint-file
// is not given: in $STATE_DIRECTORY (set by systemd's StateDirectory=) or
// the working directory.
const defaultCheckpointFile = "hook-redeliver-checkpoint"

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

	// now is the runner's clock as the run starts (run.Deps.Clock), for
	// inputs that must not lie ahead of it; zero reads the real clock.
	now time.Time

	nflags  int
	loop    time.Duration
	json    bool
	demo    bool
	version bool
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
		return inv.dropInFrom[key] + " (read as --" + input.Name(key) + ")"
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
	return "--" + input.Name(key) + " / " + key
}

// explain says what went wrong; each *input.Error names the flag or variable
// at fault ("--hook-id", "ORGANIZATION_NAME (read as --org)") where the
// action names the input.
func (inv *invocation) explain(err error) string {
	parts := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	lines := make([]string, len(parts))
	for i, e := range parts {
		var in *input.Error
		if !errors.As(e, &in) {
			lines[i] = e.Error()
			continue
		}
		names := make([]string, len(in.Inputs))
		for j, name := range in.Inputs {
			names[j] = inv.label(input.Key(name))
		}
		lines[i] = strings.Join(names, " and ") + ": " + in.Problem
	}
	return strings.Join(lines, "\n")
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

// config reads the credential files, loads the Config, picks the
// checkpoint store and validates the lot. Every error is an *input.Error.
func (inv *invocation) config(ctx context.Context) (*config.Config, error) {
	if err := inv.readCredentialFiles(); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(inv.dropInErrs)) {
		if _, ok := inv.flags[k]; !ok && inv.env(k) == "" {
			return nil, inv.dropInErrs[k]
		}
	}

	cfg, err := config.Load(ctx, inv)
	if err != nil {
		return nil, err
	}

	// The checkpoint: a file unless a variable is asked for, by our names
	// or the scripts' (a user switching from them keeps their variable), or
	// the binary runs in a workflow, where a file would not outlive the job.
	file, fileSet := inv.Lookup("CHECKPOINT_FILE")
	_, repoSet := inv.Lookup("CHECKPOINT_REPOSITORY")
	_, varSet := inv.Lookup("CHECKPOINT_VARIABLE")
	// The organization store, a plan and a leg keep checkpoints in
	// variables (Validate refuses a file with them).
	_, storeSet := inv.Lookup("CHECKPOINT_STORE")
	_, legSet := inv.Lookup("LEG")
	switch {
	case fileSet && (repoSet || varSet):
		other := "checkpoint-repository"
		if !repoSet {
			other = "checkpoint-variable"
		}
		return nil, &input.Error{Inputs: []string{"checkpoint-file", other}, Problem: "both set; keep the checkpoint in a file or in a repository variable, not both"}
	case fileSet, repoSet || varSet || storeSet || legSet || cfg.Plan || inv.getenv("GITHUB_ACTIONS") == "true":
	default:
		file, fileSet = defaultCheckpointPath(inv.getenv), true
	}
	if fileSet {
		if m := input.Misplaced("checkpoint-file", file); m != "" {
			return nil, input.Bad("checkpoint-file", "%s", m)
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, input.Bad("checkpoint-file", "%v", err)
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			return nil, input.Bad("checkpoint-file", "%s is a directory; name a file in it", abs)
		}
		cfg.UseCheckpointFile(abs)
	}

	r := config.RunnerFromEnv(inv.getenv)
	r.Now = inv.now
	if err := cfg.Validate(r); err != nil {
		return nil, err
	}
	return cfg, nil
}

// defaultCheckpointPath is the checkpoint file when none is named: in the
// first of $STATE_DIRECTORY's directories, or the working directory.
func defaultCheckpointPath(getenv func(string) string) string {
	if dirs := strings.TrimSpace(getenv("STATE_DIRECTORY")); dirs != "" {
		dir, _, _ := strings.Cut(dirs, ":")
		return filepath.Join(dir, defaultCheckpointFile)
	}
	return defaultCheckpointFile
}

// readCredentialFiles reads --private-key-file, --token-file and their
// variables into the settings they stand for, at the level they were given
// (a flag or the environment). Their content is never printed; errors are
// *input.Error.
func (inv *invocation) readCredentialFiles() error {
	for _, ff := range fileFlags {
		both := &input.Error{Inputs: []string{input.Name(ff.key), input.Name(ff.file)}, Problem: "set one, not both"}
		read := func(path string) (string, error) {
			// A credential given where its file's path belongs must not
			// be quoted in "open …: no such file".
			if m := input.Misplaced(input.Name(ff.file), path); m != "" {
				return "", input.Bad(input.Name(ff.file), "%s", m)
			}
			v, err := config.ReadSecretFile(path)
			if err != nil {
				return "", input.Bad(input.Name(ff.file), "%v", err)
			}
			return v, nil
		}
		if path, ok := inv.flags[ff.file]; ok {
			if _, also := inv.flags[ff.key]; also {
				return both
			}
			v, err := read(path)
			if err != nil {
				return err
			}
			inv.flags[ff.key], inv.flagFrom[ff.key] = v, "--"+input.Name(ff.file)
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
			return both
		}
		v, err := read(path)
		if err != nil {
			return err
		}
		inv.envFiles[ff.key] = v
	}
	return nil
}

var _ envconfig.Lookuper = (*invocation)(nil)

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
