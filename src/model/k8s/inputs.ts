/**
 * Structural input types: the fields kube-xds reads, as `kubectl get -o json` prints them. They
 * document the input and type fixtures; translate() itself accepts `unknown` and checks every field.
 * `@kubernetes/client-node`'s V1 models are assignable to them (test/types/client-node.test-d.ts).
 */

type IntOrString = number | string;

export interface ObjectMetaInput {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly annotations?: { readonly [key: string]: string } | undefined;
  readonly labels?: { readonly [key: string]: string } | undefined;
  readonly creationTimestamp?: string | Date | undefined;
  readonly resourceVersion?: string | undefined;
  readonly uid?: string | undefined;
  readonly generation?: number | undefined;
}

export interface KubernetesObject {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly metadata?: ObjectMetaInput | undefined;
}

export interface ServiceBackendPortInput {
  readonly name?: string | undefined;
  readonly number?: number | undefined;
}

export interface IngressBackendInput {
  readonly service?:
    | { readonly name: string; readonly port?: ServiceBackendPortInput | undefined }
    | undefined;
  readonly resource?:
    | { readonly apiGroup?: string | undefined; readonly kind: string; readonly name: string }
    | undefined;
}

export interface IngressInput extends KubernetesObject {
  readonly spec?:
    | {
        readonly ingressClassName?: string | undefined;
        readonly defaultBackend?: IngressBackendInput | undefined;
        readonly rules?:
          | readonly {
              readonly host?: string | undefined;
              readonly http?:
                | {
                    readonly paths: readonly {
                      readonly path?: string | undefined;
                      readonly pathType: string;
                      readonly backend: IngressBackendInput;
                    }[];
                  }
                | undefined;
            }[]
          | undefined;
        readonly tls?:
          | readonly {
              readonly hosts?: readonly string[] | undefined;
              readonly secretName?: string | undefined;
            }[]
          | undefined;
      }
    | undefined;
}

export interface IngressClassInput extends KubernetesObject {
  readonly spec?: { readonly controller?: string | undefined } | undefined;
}

export interface ServicePortInput {
  readonly name?: string | undefined;
  readonly port: number;
  readonly targetPort?: IntOrString | undefined;
  readonly protocol?: string | undefined;
  readonly appProtocol?: string | undefined;
}

export interface ServiceInput extends KubernetesObject {
  readonly spec?:
    | {
        readonly type?: string | undefined;
        readonly ports?: readonly ServicePortInput[] | undefined;
        readonly externalName?: string | undefined;
      }
    | undefined;
}

export interface EndpointSliceInput extends KubernetesObject {
  readonly addressType: string;
  readonly endpoints?:
    | readonly {
        readonly addresses: readonly string[];
        readonly conditions?:
          | {
              readonly ready?: boolean | undefined;
              readonly serving?: boolean | undefined;
              readonly terminating?: boolean | undefined;
            }
          | undefined;
        readonly zone?: string | undefined;
      }[]
    | undefined;
  readonly ports?:
    | readonly {
        readonly name?: string | undefined;
        readonly port?: number | undefined;
        readonly protocol?: string | undefined;
      }[]
    | undefined;
}

export interface EndpointsInput extends KubernetesObject {
  readonly subsets?:
    | readonly {
        readonly addresses?: readonly { readonly ip: string }[] | undefined;
        readonly notReadyAddresses?: readonly { readonly ip: string }[] | undefined;
        readonly ports?:
          | readonly {
              readonly name?: string | undefined;
              readonly port: number;
              readonly protocol?: string | undefined;
            }[]
          | undefined;
      }[]
    | undefined;
}

export interface SecretInput extends KubernetesObject {
  readonly type?: string | undefined;
  readonly data?: { readonly [key: string]: string } | undefined;
  readonly stringData?: { readonly [key: string]: string } | undefined;
}

export interface TLSCertificateDelegationInput extends KubernetesObject {
  readonly spec?: {
    readonly delegations: readonly {
      readonly secretName: string;
      readonly targetNamespaces: readonly string[];
    }[];
  };
}

/**
 * projectcontour.io/v1 HTTPProxy. The spec is read field by field against the CRD schema (see the
 * view types in httpproxy.ts); its keys are `virtualhost`, `routes`, `includes`, `tcpproxy` and
 * `ingressClassName`.
 */
export interface HTTPProxyInput extends KubernetesObject {
  readonly spec?: { readonly [field: string]: unknown } | undefined;
}

/**
 * projectcontour.io/v1alpha1 ExtensionService. Spec keys: `services`, `protocol`, `protocolVersion`,
 * `validation`, `loadBalancerPolicy`, `timeoutPolicy`, `circuitBreakerPolicy`.
 */
export interface ExtensionServiceInput extends KubernetesObject {
  readonly spec?: { readonly [field: string]: unknown } | undefined;
}
