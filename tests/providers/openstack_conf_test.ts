import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { openstackCloudConf, readOpenstackCloudConf } from "../../lib/providers/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";
import { CLOUDS_YAML } from "../integration/_identities.ts";

Deno.test("cloud.conf from clouds.yaml: application credentials and region", () => {
  assert.equal(
    openstackCloudConf(CLOUDS_YAML, "openstack"),
    '[Global]\nauth-url="https://keystone.example:5000/v3"\n' +
      'application-credential-id="0a1b2c"\napplication-credential-secret="s3cret"\n' +
      'region="RegionOne"\n',
  );
  const password = `clouds:
  prod:
    auth: {auth_url: "https://k:5000", username: u, password: p, project_name: t, user_domain_name: Default}
`;
  assert.match(
    openstackCloudConf(password, "prod"),
    /username="u"\npassword="p"\nuser-domain-name="Default"\ntenant-name="t"/,
  );
  assert.throws(() => openstackCloudConf(CLOUDS_YAML, "other"), /clouds\.yaml has no cloud other/);
  assert.throws(() => openstackCloudConf("clouds: {x: {auth: {}}}", "x"), /has no auth\.auth_url/);
  assert.throws(
    () => openstackCloudConf('clouds: {x: {auth: {auth_url: "a\\"b"}}}', "x"),
    /newline or a quote/,
  );
});

Deno.test("the cell reads an OpenStack child's clouds.yaml Secret for its bundle", async () => {
  const cluster = providerCluster("openstack", { name: "os-1" });
  const asked: string[] = [];
  const client = {
    get: (_ref: unknown, name: string, namespace?: string) => {
      asked.push(`${namespace}/${name}`);
      return Promise.resolve({
        apiVersion: "v1",
        kind: "Secret",
        data: { "clouds.yaml": Buffer.from(CLOUDS_YAML).toString("base64") },
      });
    },
  } as unknown as Parameters<typeof readOpenstackCloudConf>[0];
  const conf = await readOpenstackCloudConf(client, { name: "os-1", spec: cluster.spec });
  assert.deepEqual(asked, ["capi-os-1/openstack-cloud-config"]);
  assert.match(conf ?? "", /^\[Global\]\nauth-url=/);
  const aws = providerCluster("aws");
  assert.equal(await readOpenstackCloudConf(client, { name: "a", spec: aws.spec }), undefined);
});
