// Command cmd prints the member account template, for StackSets:
//
//	go run ./internal/member/cmd > member.yaml
package main

import (
	"fmt"
	"os"

	"github.com/vpcmedic/vpcmedic/internal/member"
)

func main() {
	if _, err := os.Stdout.Write(member.Template()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
