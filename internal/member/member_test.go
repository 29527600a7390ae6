package member_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/member"
)

// The command prints the template as it is in the repository, byte for byte.
func TestCommandPrintsTheTemplate(t *testing.T) {
	want, err := os.ReadFile("member.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(member.Template(), want) {
		t.Fatal("Template() differs from member.yaml")
	}
	out, err := exec.Command("go", "run", "./cmd").Output()
	if err != nil {
		t.Fatalf("go run ./cmd: %v", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("go run ./cmd printed %d bytes, want member.yaml's %d", len(out), len(want))
	}
}
