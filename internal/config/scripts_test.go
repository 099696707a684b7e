package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ScriptVariables maps the scripts' names; HOSTNAME only where it is the scripts'.
func TestDropInNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"none", map[string]string{"HOSTNAME": "ghes.example.com"}, map[string]string{}},
		{"organization script", map[string]string{
			"ORGANIZATION_NAME": "acme", "LAST_REDELIVERY_VARIABLE_NAME": "LAST", "WORKFLOW_REPO_NAME": "ops", "WORKFLOW_REPO_OWNER": "acme", "HOSTNAME": "ghes.example.com",
		}, map[string]string{"ORG": "acme", "CHECKPOINT_VARIABLE": "LAST", "CHECKPOINT_REPOSITORY": "acme/ops", "API_URL": "https://ghes.example.com/api/v3"}},
		{"repository script", map[string]string{
			"REPO_OWNER": "acme", "REPO_NAME": "shop", "WORKFLOW_REPO": "ops", "WORKFLOW_REPO_OWNER": "acme",
		}, map[string]string{"REPOSITORY": "acme/shop", "CHECKPOINT_REPOSITORY": "acme/ops"}},
		{"WORKFLOW_REPO_NAME wins over WORKFLOW_REPO", map[string]string{
			"WORKFLOW_REPO_NAME": "ops", "WORKFLOW_REPO": "other", "WORKFLOW_REPO_OWNER": "acme",
		}, map[string]string{"CHECKPOINT_REPOSITORY": "acme/ops"}},
		{"HOSTNAME with a scheme and a slash", map[string]string{"LAST_REDELIVERY_VARIABLE_NAME": "L", "HOSTNAME": "https://ghes.example.com/"},
			map[string]string{"CHECKPOINT_VARIABLE": "L", "API_URL": "https://ghes.example.com/api/v3"}},
		{"a container's HOSTNAME", map[string]string{"LAST_REDELIVERY_VARIABLE_NAME": "L", "HOSTNAME": "3f2a9c1b7d4e"}, map[string]string{"CHECKPOINT_VARIABLE": "L"}},
		{"github.com", map[string]string{"LAST_REDELIVERY_VARIABLE_NAME": "L", "HOSTNAME": "github.com"}, map[string]string{"CHECKPOINT_VARIABLE": "L"}},
		{"not a host", map[string]string{"LAST_REDELIVERY_VARIABLE_NAME": "L", "HOSTNAME": "a.b/c d"}, map[string]string{"CHECKPOINT_VARIABLE": "L"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, errs := ScriptVariables(func(k string) string { return tt.env[k] })
			if len(errs) > 0 {
				t.Errorf("errors: %v", errs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ScriptVariables (-want +got):\n%s", diff)
			}
		})
	}
}
