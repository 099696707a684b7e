package input

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	t.Parallel()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(k))}))
	const token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	tests := []struct {
		name, input, v string
		want           string
	}{
		{"an ordinary value", "org", "my org", `"my org"`},
		{"quoted as %q quotes", "hook-id", "a\nb", `"a\nb"`},
		{"a key in app-id", "app-id", key, "a value that looks like a PEM private key (" + strconv.Itoa(len(key)) + " characters, not shown)"},
		{"a key with its newlines escaped", "hook-id", strings.ReplaceAll(key, "\n", `\n`), "a value that looks like a PEM private key ("},
		{"a public key", "events", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "a value that looks like a PEM block ("},
		{"a token in org", "org", token, "a value that looks like a GitHub token (40 characters, not shown)"},
		{"a fine-grained token", "hook-id", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "a value that looks like a GitHub token ("},
		{"a token in a URL", "hook-id", "https://x:" + token + "@github.com/orgs/acme/hooks/1", "a value of 79 characters holding what looks like a GitHub token (not shown)"},
		{"a JWT", "dispatch-event-type", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJl", "a value that looks like a JWT ("},
		{"random base62", "checkpoint-variable", "Qx7fK2mP9vL4nR8sT1wY6zB3cD5hJ0gA", "a value that looks like a key or token (32 characters, not shown)"},
		{"random hex", "org", "3f9a1c0b7e2d4f6a8b0c1d2e3f4a5b6c7d8e9f01", "a value that looks like a key or token (40 characters, not shown)"},
		{"the token input, ordinary", "token", "hunter2", "a value of 7 characters (not shown)"},
		{"the private-key input, ordinary", "private-key", "not a key", "a value of 9 characters (not shown)"},
		// Written names and lists are not random, however long.
		{"a variable name", "checkpoint-variable", "REDELIVER_REPO_MYORGANIZATION__MYREPOSITORY2024_HOOK_123456789", `"REDELIVER_`},
		{"CamelCase with digits", "repository", "MyOrganisation/SuperLongRepositoryName2024Backend", `"MyOrganisation/`},
		{"an identifier", "checkpoint-variable", "LAST_REDELIVERY_myOrg_Hook_12345678", `"LAST_`},
		{"a settings URL", "hook-id", "https://github.com/MyOrg/MyRepo2024/settings/hooks/123456789", `"https://`},
		{"a long id list", "hook-id", "12345678901234567890123456789012345", `"1234`},
		{"a GUID", "events", "0b989ba4-242f-11e5-81e1-c7b6966d2516", `"0b98`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Value(tt.input, tt.v)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("Value(%q, …) = %q, want it to start with %q", tt.input, got, tt.want)
			}
			if what, _ := Shape(tt.v); what != "" || Secret(tt.input) {
				for line := range strings.SplitSeq(tt.v, "\n") {
					if len(line) > 3 && strings.Contains(got, line) {
						t.Errorf("Value shows %q", line)
					}
				}
			}
		})
	}
}

func TestMisplaced(t *testing.T) {
	t.Parallel()
	const token = "ghs_0123456789abcdefghijABCDEFGHIJ012345"
	if got := Misplaced("checkpoint-variable", token); !strings.HasPrefix(got, "got a value that looks like a GitHub token") || strings.Contains(got, token) {
		t.Errorf("Misplaced = %q", got)
	}
	for _, tt := range []struct{ input, v string }{{"token", token}, {"private-key", token}, {"checkpoint-variable", "LAST_REDELIVERY"}} {
		if got := Misplaced(tt.input, tt.v); got != "" {
			t.Errorf("Misplaced(%q, %q) = %q, want none", tt.input, tt.v, got)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
