// Every connection method mito has, by the name a ConnectSpec gives: what a Broker that runs playbooks is
// given (`new Broker({ methods: defaultMethods() })`). Listing them here, instead of each transport adding
// itself when imported, makes a Broker's abilities what its caller passed, not what happened to be loaded.
import type { ConnectMethod } from "./broker.ts";
import { localMethod } from "./local.ts";
import { sshMethod } from "./ssh.ts";
import { ssh2Method } from "./ssh2.ts";
import { doasMethod, sudoMethod, suMethod } from "./become.ts";
import {
  buildahMethod,
  chrootMethod,
  dockerMethod,
  jailMethod,
  kubectlMethod,
  lxcMethod,
  lxdMethod,
  machinectlMethod,
  podmanMethod,
  setnsConnectMethod,
} from "./containers.ts";

/** A fresh table of all methods: local, ssh, ssh2, sudo, su, doas and the container/chroot hops. */
export function defaultMethods(): Record<string, ConnectMethod> {
  return {
    local: localMethod,
    ssh: sshMethod,
    ssh2: ssh2Method,
    sudo: sudoMethod,
    su: suMethod,
    doas: doasMethod,
    docker: dockerMethod,
    podman: podmanMethod,
    buildah: buildahMethod,
    kubectl: kubectlMethod,
    lxc: lxcMethod,
    lxd: lxdMethod,
    jail: jailMethod,
    chroot: chrootMethod,
    setns: setnsConnectMethod,
    machinectl: machinectlMethod,
  };
}
