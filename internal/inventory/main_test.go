package inventory_test

import (
	"os"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }
