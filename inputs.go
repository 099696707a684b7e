package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// InputError is bad input, found before anything is sent to GitHub: the
// inputs at fault and what is wrong with them. The action names an input as
// action.yml does ("input hook-id: ..."); the command line names the flag or
// variable that set it. Either way the binary exits 2.
type InputError struct {
	// Inputs are named as action.yml names inputs ("hook-id"), the command
	// line's own settings likewise ("token-file", "repo-owner"); two when
	// they conflict.
	Inputs  []string
	Problem string // what is wrong and how to fix it; never a secret's value
}

func (e *InputError) Error() string {
	return "input " + strings.Join(e.Inputs, " and ") + ": " + e.Problem
}

// badInput is an InputError about one input.
func badInput(input, format string, args ...any) *InputError {
	return &InputError{Inputs: []string{input}, Problem: fmt.Sprintf(format, args...)}
}

// inputName is the input's name for an env key: app-id for APP_ID.
func inputName(key string) string { return strings.ToLower(strings.ReplaceAll(key, "_", "-")) }

// envKey is the env key for an input's name: APP_ID for app-id.
func envKey(input string) string { return strings.ToUpper(strings.ReplaceAll(input, "-", "_")) }

// settingKey is one Config field: its env key, flag and default.
type settingKey struct {
	key    string // APP_ID: the env variable, and the Lookuper key
	flag   string // app-id: the input's name, and the command line's flag
	def    string // from the default= tag option; "" if none
	isBool bool
	typ    reflect.Type
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
		k := settingKey{key: strings.TrimSpace(key), isBool: f.Type.Kind() == reflect.Bool, typ: f.Type}
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

// check converts v as go-envconfig is about to, and says what the input
// wants if it cannot. go-envconfig's own error names only the Go field, in
// its text; checking first gives an InputError that names the input.
func (k settingKey) check(v string) error {
	if k.typ == nil {
		return nil
	}
	var err error
	want := ""
	switch {
	case k.typ == reflect.TypeOf(time.Duration(0)):
		_, err = time.ParseDuration(v)
		want = "a duration such as 90s, 30m or 2h"
	case k.typ.Kind() == reflect.Bool:
		_, err = strconv.ParseBool(v)
		want = "true or false"
	case k.typ.Kind() == reflect.Int, k.typ.Kind() == reflect.Int64:
		_, err = strconv.ParseInt(v, 0, k.typ.Bits())
		want = "a whole number"
	}
	if err != nil {
		return badInput(k.flag, "want %s (%v)", want, err)
	}
	return nil
}

// inputLookuper reads the config's keys from the runner's input variables:
// APP_ID from INPUT_APP-ID. go-envconfig rejects keys with hyphens, and the
// runner keeps them, so the mapping happens here. The runner sets every
// declared input, empty when the workflow gave none: empty counts as unset, so
// that the defaults in Config apply.
type inputLookuper func(string) string

func (l inputLookuper) Lookup(key string) (string, bool) {
	v := strings.TrimSpace(l("INPUT_" + strings.ReplaceAll(key, "_", "-")))
	return v, v != ""
}

// loadConfig fills a Config from l. A value that does not convert is an
// *InputError.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	keys := map[string]settingKey{}
	for _, k := range settingKeys() {
		keys[k.key] = k
	}
	check := envconfig.MutatorFunc(func(_ context.Context, key, _, _, v string) (string, bool, error) {
		return v, false, keys[key].check(v)
	})
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l, Mutators: []envconfig.Mutator{check}}); err != nil {
		var in *InputError
		if errors.As(err, &in) {
			return nil, in
		}
		return nil, err
	}
	return &c, nil
}
