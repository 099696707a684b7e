package checkpoint

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The checkpoint's naming: GitHub's rules for a variable name, the name
// derived from a target when the user gives none, and the name of one hook's
// checkpoint among several.

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidateName checks a variable name against GitHub's rules.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty")
	case !validName.MatchString(name):
		return fmt.Errorf("%q may contain only letters, digits and _, and must not start with a digit", name)
	case strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		return fmt.Errorf("%q must not start with GITHUB_", name)
	}
	return nil
}

// DefaultName derives a variable name from the target, so that two targets
// checkpointed in one repository never share a variable. Pass org for an
// organization webhook, owner and repo for a repository webhook, neither for
// the App's webhook (appID tells Apps apart).
func DefaultName(appID, org, owner, repo string, hookID int64) string {
	switch {
	case org != "":
		return fmt.Sprintf("REDELIVER_ORG_%s_HOOK_%d", sanitize(org), hookID)
	case owner != "":
		// Logins never contain "_" or "__" after sanitising, so "__"
		// separates owner and repository unambiguously.
		return fmt.Sprintf("REDELIVER_REPO_%s__%s_HOOK_%d", sanitize(owner), sanitize(repo), hookID)
	default:
		return "REDELIVER_APP_" + sanitize(appID)
	}
}

// PerHook is the name of one hook's checkpoint under a name the user gave
// (a variable or a file): the name itself for a single hook, and for each of
// several (hook-id 1,2 or all) the name with "_<hook id>" appended.
func PerHook(name string, several bool, hookID int64) string {
	if !several {
		return name
	}
	return fmt.Sprintf("%s_%d", name, hookID)
}

func sanitize(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s))
}
