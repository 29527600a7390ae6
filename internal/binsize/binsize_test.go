// Package binsize builds each Lambda function exactly as `sam build` does
// (the Makefile's build-<LogicalId> targets) and checks that the linker
// still drops the SDK operations vpcmedic never calls.
//
// The linker keeps only the methods that can be called: direct calls and
// the methods matching an interface method the program uses. One
// reachable reflect.Value.Method, or MethodByName with a name that is not a
// constant (text/template, html/template), and it gives up and keeps every
// exported method of every type ever held in an interface, here all the
// operations of every SDK client (about two thirds of the binary). Find the
// culprit with
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc,grpcnotrace -ldflags=-dumpdep ./functions/sweep 2>&1 | grep ReflectMethod
//
// and follow the "a -> b" edges back from the first symbol marked
// <ReflectMethod> to main.
package binsize

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The three functions, by the Makefile target suffix (their template
// logical IDs).
var functions = []string{"OnLambdaChangeFunction", "OnNetworkChangeFunction", "SweepFunction"}

// Limits well above today's sizes (21 MiB, 6 MiB zipped) and well
// below what a binary that keeps every SDK operation weighs (63 MiB, 14 MiB
// zipped).
const (
	maxBinary = 30 << 20
	maxZipped = 9 << 20
)

// A stripped Go binary still names its functions (the pclntab, for stack
// traces), so these strings show what was linked.
var (
	// EC2 operations vpcmedic never calls: present only when the linker
	// has stopped pruning methods.
	neverCalled = []string{
		"service/ec2.(*Client).AcceptAddressTransfer",
		"service/ec2.(*Client).CreateCapacityReservationFleet",
	}
	// Operations it does call, and the X-Ray instrumentation of the
	// clients: the checks above would pass on a binary without them.
	mustLink = []string{
		"service/ec2.(*Client).DescribeVpcs",
		"service/lambda.(*Client).ListEventSourceMappings",
		"aws-xray-sdk-go/instrumentation/awsv2.initializeMiddlewareAfter",
	}
)

func TestFunctionsStayLean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the three functions for linux/arm64")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("make", "--no-print-directory", "-C", root, "build-"+fn, "ARTIFACTS_DIR="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", fn, err, out)
			}
			bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			zipped := zippedSize(t, bin)
			t.Logf("bootstrap %.1f MiB, zipped %.1f MiB", mb(len(bin)), mb(zipped))
			if len(bin) > maxBinary {
				t.Errorf("bootstrap is %.1f MiB, over %.0f MiB", mb(len(bin)), mb(maxBinary))
			}
			if zipped > maxZipped {
				t.Errorf("zipped bootstrap is %.1f MiB, over %.0f MiB", mb(zipped), mb(maxZipped))
			}
			for _, name := range neverCalled {
				if bytes.Contains(bin, []byte(name)) {
					t.Errorf("%s is linked: the linker keeps every SDK operation again (see the package comment to find why)", name)
				}
			}
			for _, name := range mustLink {
				if !bytes.Contains(bin, []byte(name)) {
					t.Errorf("%s is not linked", name)
				}
			}
		})
	}
}

// zippedSize is the size of the deployment package: bootstrap alone in a
// deflated zip, as sam build packs it.
func zippedSize(t *testing.T, bin []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err == nil {
		_, err = io.Copy(w, bytes.NewReader(bin))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func mb(n int) float64 { return float64(n) / (1 << 20) }
