// etcd for the local control plane: the upstream etcd server's own entry
// point (go.etcd.io/etcd/server/v3/etcdmain), at the version that the pinned
// k8s.io/kubernetes release requires.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
