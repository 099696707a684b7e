package input

import "testing"

func TestError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  *Error
		want string
	}{
		{Bad("hook-id", "want %s, got %q", "an id", "abc"), `input hook-id: want an id, got "abc"`},
		{&Error{Inputs: []string{"token", "token-file"}, Problem: "set one, not both"}, "input token and token-file: set one, not both"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestNameAndKey(t *testing.T) {
	t.Parallel()
	for key, name := range map[string]string{"APP_ID": "app-id", "TOKEN": "token", "EXCLUDE_STATUS_CODES": "exclude-status-codes"} {
		if got := Name(key); got != name {
			t.Errorf("Name(%q) = %q, want %q", key, got, name)
		}
		if got := Key(name); got != key {
			t.Errorf("Key(%q) = %q, want %q", name, got, key)
		}
	}
}
