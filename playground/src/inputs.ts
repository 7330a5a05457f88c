// The input tabs and what an empty one holds; shared by the page and the
// build (vite.config.ts computes the first example's result with them).
import type { Role } from "./types";

export type InputName = "pod" | "profile" | "cluster" | "objects";
export const INPUTS: { name: InputName; role: Role; placeholder: string }[] = [
  { name: "pod", role: "stream", placeholder: "" },
  {
    name: "profile",
    role: "profile",
    placeholder:
      "# The eci-profile ConfigMap (kube-system/eci-profile). When set, it replaces one in the pod's stream.\n# apiVersion: v1\n# kind: ConfigMap\n# metadata: {name: eci-profile, namespace: kube-system}\n# data:\n#   vSwitchIds: vsw-xxx,vsw-yyy\n#   securityGroupId: sg-xxx\n",
  },
  {
    name: "cluster",
    role: "cluster",
    placeholder:
      "# Cluster settings (the virtual node's environment). Empty: the example cluster in cn-hangzhou.\n# regionId: cn-hangzhou\n# vswitchIds: vsw-xxx\n# securityGroupId: sg-xxx\n# clusterType: ACK\n",
  },
  { name: "objects", role: "objects", placeholder: "# ConfigMaps, Secrets, PersistentVolumeClaims the pod refers to (documents separated by ---).\n" },
];

/** The example a page without a link opens with. */
export const FIRST_EXAMPLE = "deployment-nginx";

/** The files of the pod preview for a pod text and empty other tabs. */
export const firstFiles = (pod: string) => INPUTS.map((i) => ({ name: i.name, role: i.role, text: i.name === "pod" ? pod : i.placeholder }));
