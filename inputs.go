package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

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

func inputName(key string) string { return strings.ToLower(strings.ReplaceAll(key, "_", "-")) }

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

// loadConfig fills a Config from l.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l}); err != nil {
		return nil, inputError(err)
	}
	return &c, nil
}

// inputError rewrites go-envconfig's "MaxAttempts: strconv.ParseInt: ..."
// into "input max-attempts: ...".
func inputError(err error) error {
	msg := err.Error()
	field, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return err
	}
	f, found := reflect.TypeOf(Config{}).FieldByName(field)
	if !found {
		return err
	}
	key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	want := map[reflect.Kind]string{
		reflect.Bool:  "true or false",
		reflect.Int:   "a whole number",
		reflect.Int64: "a whole number",
	}[f.Type.Kind()]
	if f.Type == reflect.TypeOf(time.Duration(0)) {
		want = "a duration such as 90s, 30m or 2h"
	}
	if want != "" {
		return fmt.Errorf("input %s: want %s (%s)", inputName(key), want, rest)
	}
	return fmt.Errorf("input %s: %s", inputName(key), rest)
}
