package config

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// Setting is one Config field: its env key, flag and default.
type Setting struct {
	Key     string // APP_ID: the env variable, and the Lookuper key
	Flag    string // app-id: the input's name, and the command line's flag
	Default string // from the default= tag option; "" if none
	IsBool  bool
	typ     reflect.Type
	index   int // of the field in Config
}

// Settings lists Config's fields with an env tag, in order. The command
// line's flags are made from them, so a new input is a new flag with nothing
// else to do but describe it in the command line's help.
func Settings() []Setting {
	var keys []Setting
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		k := Setting{Key: strings.TrimSpace(key), IsBool: f.Type.Kind() == reflect.Bool, typ: f.Type, index: i}
		k.Flag = input.Name(k.Key)
		// As go-envconfig reads it: everything after "default=" is the
		// default, commas included.
		if _, def, ok := strings.Cut(opts, "default="); ok {
			k.Default = def
		}
		keys = append(keys, k)
	}
	return keys
}

// check converts v as go-envconfig is about to, and says what the input
// wants if it cannot. go-envconfig's own error names only the Go field, in
// its text; checking first gives an *input.Error that names the input.
func (k Setting) check(v string) error {
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
		// Not err's text: it quotes the value, which may be a credential
		// put in the wrong input.
		if errors.Is(err, strconv.ErrRange) {
			want += " in range"
		}
		return input.Bad(k.Flag, "want %s, got %s", want, input.Value(k.Flag, v))
	}
	return nil
}

// InputLookuper reads the config's keys from the runner's input variables:
// APP_ID from INPUT_APP-ID. go-envconfig rejects keys with hyphens, and the
// runner keeps them, so the mapping happens here. The runner sets every
// declared input, empty when the workflow gave none: empty counts as unset, so
// that the defaults in Config apply.
type InputLookuper func(string) string

func (l InputLookuper) Lookup(key string) (string, bool) {
	v := strings.TrimSpace(l("INPUT_" + strings.ReplaceAll(key, "_", "-")))
	return v, v != ""
}

// Load fills a Config from l. A value that does not convert is an
// *input.Error.
func Load(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	keys := map[string]Setting{}
	for _, k := range Settings() {
		keys[k.Key] = k
	}
	check := envconfig.MutatorFunc(func(_ context.Context, key, _, _, v string) (string, bool, error) {
		return v, false, keys[key].check(v)
	})
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l, Mutators: []envconfig.Mutator{check}}); err != nil {
		var in *input.Error
		if errors.As(err, &in) {
			return nil, in
		}
		return nil, err
	}
	return &c, nil
}
