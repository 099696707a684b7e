package config

import (
	"regexp"
	"strings"

	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

// ScriptVariables reads the variables of GitHub's documented redelivery
// scripts ("Automatically redelivering failed deliveries for a GitHub App /
// organization / repository webhook") into the settings they stand for, by
// env key, so the binary runs with a workflow step's env: unchanged. from
// names the variables each setting was read from. APP_ID, PRIVATE_KEY, TOKEN
// and HOOK_ID are the same names in both. A pair given by half is an
// *input.Error, to be reported only if the setting is not given otherwise.
func ScriptVariables(getenv func(string) string) (vals, from map[string]string, errs map[string]error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	vals, from, errs = map[string]string{}, map[string]string{}, map[string]error{}
	set := func(key, v, name string) { vals[key], from[key] = v, name }
	pair := func(key, ownerName, owner, nameName, name string) {
		switch {
		case owner != "" && name != "":
			set(key, owner+"/"+name, ownerName+" and "+nameName)
		case owner != "":
			errs[key] = input.Bad(input.Name(ownerName), "set, but not %s; GitHub's scripts need both for --%s", nameName, input.Name(key))
		case name != "":
			errs[key] = input.Bad(input.Name(nameName), "set, but not %s; GitHub's scripts need both for --%s", ownerName, input.Name(key))
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
