package config

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// maxSecretFile bounds what --private-key-file and --token-file read.
const maxSecretFile = 1 << 20

// IgnoredInputs returns the line that says the action's INPUT_ variables
// set here are ignored, or "". They are read only when the binary runs as
// the container action, in a workflow run (GITHUB_ACTIONS=true); a user
// trying the binary with a workflow's variables would otherwise see them
// dropped without a word. Both the runner's spelling (INPUT_HOOK-ID) and
// the shell's (INPUT_HOOK_ID) are looked for.
func IgnoredInputs(getenv func(string) string) string {
	if getenv("GITHUB_ACTIONS") == "true" {
		return ""
	}
	var set, ours []string
	for _, k := range Settings() {
		for _, name := range []string{"INPUT_" + strings.ReplaceAll(k.Key, "_", "-"), "INPUT_" + k.Key} {
			if strings.TrimSpace(getenv(name)) != "" && !slices.Contains(set, name) {
				set = append(set, name)
				ours = append(ours, k.Key)
			}
		}
	}
	if len(set) == 0 {
		return ""
	}
	return "hook-redeliver: ignoring " + strings.Join(set, ", ") + ": INPUT_ variables are read only in a workflow run (GITHUB_ACTIONS=true); " +
		"here set " + strings.Join(slices.Compact(ours), ", ") + " or their flags (see --help)"
}

// ReadSecretFile reads a credential mounted by a secret manager. Errors
// name the file, never its content.
func ReadSecretFile(path string) (string, error) {
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
