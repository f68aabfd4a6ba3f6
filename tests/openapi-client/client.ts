// client.ts - a user of the generated client (tests/openapi_client.sh):
// api.d.ts is what openapi-typescript made of the server's
// /api/openapi.json, openapi-fetch the runtime.  tsc --strict checks every
// path, parameter and body below against the document, node runs it
// against the server: list providers, run a golden path, poll it to the
// end, read its logs.  Prints "KEY VALUE" lines for the shell test;
// exits 1 on the first unexpected answer.
//
//   node client.js URL KEY GOLDEN_PATH WHO
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type Execution = components["schemas"]["ExecutionDetail"];

const [url, key, goldenPath, who] = process.argv.slice(2);
const api = createClient<paths>({
	baseUrl: url,
	headers: { Authorization: `Bearer ${key}` },
});

function die(what: string, error: unknown): never {
	console.log(`FAIL ${what}: ${JSON.stringify(error)}`);
	return process.exit(1);
}

async function main(): Promise<void> {
	const providers = await api.GET("/api/providers");
	if (providers.error || !providers.data)
		die("listProviders", providers.error);
	console.log(`providers ${providers.data.map((p) => p.name).join(",")}`);

	const gp = await api.GET("/api/golden-paths/{name}", {
		params: { path: { name: goldenPath } },
	});
	if (gp.error || !gp.data)
		die("getGoldenPath", gp.error);
	console.log(`parameters ${gp.data.parameters.map((p) => p.name).join(",")}`);

	const run = await api.POST("/api/golden-paths/{name}/run", {
		params: { path: { name: goldenPath } },
		body: { parameters: { who } },
	});
	if (run.error || !run.data)
		die("runGoldenPath", run.error);
	const id: number = run.data.id;
	console.log(`submitted ${id} ${run.data.status}`);

	// poll until it leaves pending and running
	let ex: Execution | undefined;
	for (let i = 0; i < 3000; i++) {
		const got = await api.GET("/api/workflows/{id}", { params: { path: { id } } });
		if (got.error || !got.data)
			die("getExecution", got.error);
		ex = got.data;
		if (ex.status !== "pending" && ex.status !== "running")
			break;
		await new Promise((r) => setTimeout(r, 20));
	}
	if (ex === undefined)
		die("getExecution", "no answer");
	console.log(`status ${ex.status}`);
	console.log(`steps ${ex.steps.map((s) => `${s.name}:${s.status}`).join(",")}`);
	console.log(`outputs ${JSON.stringify(ex.outputs)}`);

	const logs = await api.GET("/api/workflows/{id}/logs", {
		params: { path: { id }, query: { limit: 1000 } },
	});
	if (logs.error || !logs.data)
		die("getExecutionLogs", logs.error);
	// a page of JSON; with follow=1 it would be the text of a stream
	if (typeof logs.data === "string")
		die("getExecutionLogs", "a stream without follow");
	for (const l of logs.data.lines)
		console.log(`log ${l.step} ${l.line}`);

	// an error is typed too: the Error schema
	const missing = await api.GET("/api/workflows/{id}", {
		params: { path: { id: 999999999 } },
	});
	if (!missing.error)
		die("getExecution of a missing id", "no error");
	console.log(`error ${missing.response.status} ${missing.error.error.code}`);
}

main().catch((e) => die("exception", String(e)));
