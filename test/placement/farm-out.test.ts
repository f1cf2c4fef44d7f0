/**
 * Farm-out against real parts: the notebook's Python in the browser (Pyodide) and a kernel on the test run's
 * Jupyter Server, whose PYTHONPATH has test/placement/server-only (acme_metrics, a library the browser lacks).
 */
import { expect } from '@open-wc/testing';
import { ColumnTable } from '../../src/data/table.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { bindValue, readValues } from '../../src/kernel/values.ts';
import { FarmOutKernel, parseRemoteCell, planFarmOut } from '../../src/placement/farm-out.ts';
import { probe } from '../../src/placement/probe.ts';
import { columnValues, pyodideKernelForSuite, run, type Run } from '../helpers.ts';
import { stdout } from '../kernel/inject.ts';
import { jupyterServer } from '../kernel/remote/server.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';

function cities(): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'city', type: 'string', values: ['Oslo', 'Lima', 'Oslo', 'Lima', 'Oslo'] },
    { name: 'temp', type: 'float64', values: [1, 20, 3, 22, 5] },
  ]);
}

/** The user's variables (without IPython's history names), as Python sees them. */
function variables(kernel: Kernel): Promise<string[]> {
  return probe<string[]>(kernel, 'ANSWER = sorted(k for k in NAMESPACE if not k.startswith("_") and k not in ("In", "Out", "get_ipython", "exit", "quit"))');
}

function has(kernel: Kernel, name: string): Promise<boolean> {
  return probe<boolean>(kernel, 'ANSWER = ARGS in NAMESPACE', name);
}

function temporaries(kernel: Kernel): Promise<string[]> {
  return probe<string[]>(kernel, 'ANSWER = [k for k in NAMESPACE if k.startswith("_bento_farm")]');
}

function errorOf(r: Run): { ename: string; evalue: string } {
  const error = r.outputs.find(([type]) => type === 'error')?.[1];
  expect(error, 'an error output').to.exist;
  expect(r.reply.content).to.include({ status: 'error', ename: error.ename, evalue: error.evalue });
  return error;
}

describe('Farm-out: one cell runs on a Jupyter Server kernel, its variables moved both ways', () => {
  const suite = pyodideKernelForSuite();
  let remote: RemoteKernel;
  let farm: FarmOutKernel;

  before(async () => {
    remote = new RemoteKernel({ server: jupyterServer(), kernelName: 'python3' });
    farm = new FarmOutKernel(suite.kernel, remote);
    await farm.ready();
  });
  after(() => remote.shutdown());

  it('runs a cell that imports a server-only library and brings back a DataFrame and a scalar', async () => {
    const local = suite.kernel;
    expect(errorOf(await run(local, 'import acme_metrics')).ename, 'the library must not exist in the browser').to.equal('ModuleNotFoundError');
    await local.inject('df', cities());

    const r = await run(farm, '%%remote\nimport acme_metrics\nsummary = acme_metrics.summarise(df)\ntotal = len(df)\nprint("acme", acme_metrics.VERSION)');

    expect(r.reply.content.status).to.equal('ok');
    const [planType, plan] = r.outputs[0];
    expect(planType).to.equal('display_data');
    expect(remote.displayName).to.match(/^Python 3/);
    expect(plan.data['text/plain']).to.equal(`Runs on ${remote.displayName} · in: df · out: summary, total`);
    expect(plan.metadata).to.deep.equal({ bento: { farmOut: { kernel: remote.displayName, in: ['df'], out: ['summary', 'total'] } } });
    expect(r.stdout).to.equal('acme 1.0\n');

    const summary = await local.extract('summary');
    expect(summary.columnNames).to.deep.equal(['city', 'temp']);
    expect(columnValues(summary, 'city')).to.deep.equal(['Lima', 'Oslo']);
    expect(columnValues(summary, 'temp')).to.deep.equal([21, 3]);
    expect(await readValues(local, ['total'])).to.deep.equal({ total: 5 });
    expect(await stdout(local, 'print(type(total).__name__, summary.shape)')).to.equal('int (2, 2)\n');
    expect(await temporaries(local)).to.deep.equal([]);
    expect(await temporaries(remote)).to.deep.equal([]);
  });

  it("shows the remote run's input, stdout, stderr and result as a local run's, inside one busy/idle of its own", async () => {
    const r = await run(farm, '%%remote\nimport sys\nprint("from the server")\nprint("careful", file=sys.stderr)\n6 * 7');
    expect(r.reply.content.status).to.equal('ok');
    // The plan, then the remote run's messages (stdout and stderr are separate streams: their order may vary, and
    // ipykernel may send a print as more than one stream message when its flush comes between the text and the newline).
    expect(r.outputs.map(([type]) => type).slice(0, 2)).to.deep.equal(['display_data', 'execute_input']);
    const rest = r.outputs.map(([type]) => type).slice(2);
    expect(rest.filter((type) => type !== 'stream')).to.deep.equal(['execute_result']);
    expect(rest.filter((type) => type === 'stream').length).to.be.at.least(2);
    expect(r.outputs[1][1].code).to.equal('import sys\nprint("from the server")\nprint("careful", file=sys.stderr)\n6 * 7');
    expect(r.stdout).to.equal('from the server\n');
    expect(r.stderr).to.equal('careful\n');
    expect(r.outputs.find(([type]) => type === 'execute_result')![1].data['text/plain']).to.equal('42');
    const states = r.messages.filter((m) => m.header.msg_type === 'status').map((m) => (m.content as { execution_state: string }).execution_state);
    expect(states).to.deep.equal(['busy', 'idle']);
    expect(r.messages.at(-1)!.header.msg_type).to.equal('status');
  });

  it('reads the plan from the syntax tree: read before assigned, assigned at module level, modules left out', async () => {
    const local = suite.kernel;
    await stdout(local, 'import json\nprices = [1, 2]\nrate = 2\nscale = 3\ncounter = 10\nrows = []');
    const plan = (body: string) => planFarmOut(local, body);
    expect(await plan('total = sum(prices) * rate\nprices = []')).to.deep.equal({ inputs: ['prices', 'rate'], outputs: ['total', 'prices'] });
    expect(await plan('for p in prices:\n    counter += p')).to.deep.equal({ inputs: ['prices', 'counter'], outputs: ['p', 'counter'] });
    expect(await plan('def f(x):\n    return x * scale\nout = [f(p) for p in prices if p > rate]')).to.deep.equal({
      inputs: ['prices', 'rate', 'scale'],
      outputs: ['out'],
    });
    expect(await plan('import math\ntext = json.dumps(rows)\nclass C: pass\nif (n := len(rows)):\n    pass')).to.deep.equal({ inputs: ['rows'], outputs: ['text', 'n'] });
    expect(await plan('rows.append(1)\nrows[0] = 2')).to.deep.equal({ inputs: ['rows'], outputs: ['rows'] });
    expect(await plan('%timeit x = 1\ny = !ls\nz = rate')).to.deep.equal({ inputs: ['rate'], outputs: ['y', 'z'] });
    expect(await plan('this is not Python')).to.deep.equal({ inputs: [], outputs: [] });
    expect(await planFarmOut(local, 'a = rate', { inputs: ['scale'] })).to.deep.equal({ inputs: ['scale'], outputs: ['a'] });
  });

  it('sends and brings back only what --in and --out name', async () => {
    const local = suite.kernel;
    await bindValue(local, 'base', 2);
    await bindValue(local, 'unsent', 'stays here');
    const r = await run(farm, '%%remote --in base --out tenfold\ntenfold = base * 10 + len(globals().get("unsent", ""))\nplus_one = tenfold + 1');
    expect(r.reply.content.status).to.equal('ok');
    expect(r.outputs[0][1].data['text/plain']).to.equal(`Runs on ${remote.displayName} · in: base · out: tenfold`);
    expect(await readValues(local, ['tenfold'])).to.deep.equal({ tenfold: 20 });
    expect(await has(local, 'plus_one')).to.equal(false);
    expect(await has(remote, 'unsent')).to.equal(false);
    expect(parseRemoteCell('%%remote --kernel python3 --in "a, b" --out ""\nx = 1')).to.deep.equal({
      body: 'x = 1',
      kernel: 'python3',
      overrides: { inputs: ['a', 'b'], outputs: [] },
    });
  });

  it('keeps the remote session between farmed-out cells', async () => {
    const first = await run(farm, '%%remote --out ""\nkept_on_server = 41');
    expect(first.reply.content.status).to.equal('ok');
    expect(await has(suite.kernel, 'kept_on_server')).to.equal(false);
    const second = await run(farm, '%%remote\nseen = kept_on_server + 1');
    expect(second.outputs[0][1].metadata.bento.farmOut).to.deep.include({ in: [], out: ['seen'] });
    expect(await readValues(suite.kernel, ['seen'])).to.deep.equal({ seen: 42 });
  });

  it('names a value that cannot be pickled, binds nothing remotely and does not run the cell', async () => {
    await stdout(suite.kernel, 'gen = (i for i in range(3))\nstart = 5');
    await suite.kernel.inject('table_too', cities());
    const before = await variables(remote);
    const r = await run(farm, '%%remote\nfrom_gen = start + sum(gen) + len(table_too)');
    const error = errorOf(r);
    expect(error.ename).to.equal('FarmOutError');
    expect(error.evalue).to.contain(`\`gen\` cannot be sent to ${remote.displayName}: cannot pickle 'generator' object`);
    expect(r.outputs.map(([type]) => type)).to.deep.equal(['display_data', 'error']);
    expect(await variables(remote)).to.deep.equal(before);
    expect(await temporaries(remote)).to.deep.equal([]);
    expect(await temporaries(suite.kernel)).to.deep.equal([]);
  });

  it('names a value the server cannot unpickle and unbinds everything staged with it', async () => {
    // A class from a module only the browser has: it pickles here and cannot be unpickled there.
    await stdout(
      suite.kernel,
      'import sys, types\nbrowser_only = types.ModuleType("browser_only")\nexec("class Point:\\n    pass", browser_only.__dict__)\n' +
        'sys.modules["browser_only"] = browser_only\npoint = browser_only.Point()\ncount = 3',
    );
    await suite.kernel.inject('staged_table', cities());
    const before = await variables(remote);
    const error = errorOf(await run(farm, '%%remote\nresult = (count, len(staged_table), point)'));
    expect(error.ename).to.equal('FarmOutError');
    expect(error.evalue).to.contain(`\`point\` cannot be sent to ${remote.displayName}: No module named 'browser_only'`);
    expect(await variables(remote)).to.deep.equal(before);
    expect(await temporaries(remote)).to.deep.equal([]);
  });

  it('names an output that cannot come back and binds none of the outputs here', async () => {
    const local = suite.kernel;
    await local.inject('df', cities());
    await bindValue(local, 'report', 'the old report');
    const r = await run(farm, '%%remote\nimport acme_metrics\nq1 = acme_metrics.summarise(df)\nreport = acme_metrics.Report("Q1", q1)\nprint(report)');
    expect(r.stdout).to.equal('Report(\'Q1\', 2 rows)\n');
    const error = errorOf(r);
    expect(error.ename).to.equal('FarmOutError');
    expect(error.evalue).to.contain(`\`report\` cannot be brought back from ${remote.displayName}: No module named 'acme_metrics'`);
    expect(await has(local, 'q1')).to.equal(false);
    expect(await readValues(local, ['report'])).to.deep.equal({ report: 'the old report' });
    expect(await temporaries(local)).to.deep.equal([]);
    expect(await temporaries(remote)).to.deep.equal([]);
  });

  it('brings nothing back from a run that failed, and shows its error', async () => {
    await bindValue(suite.kernel, 'attempt', 1);
    const r = await run(farm, '%%remote\nattempt = 2\nprint("before the error")\nraise ValueError("no luck")');
    const error = errorOf(r);
    expect(error.ename).to.equal('ValueError');
    expect(error.evalue).to.equal('no luck');
    expect(r.stdout).to.equal('before the error\n');
    expect(await readValues(suite.kernel, ['attempt'])).to.deep.equal({ attempt: 1 });
  });

  it('moves variables when the notebook binds exec, compile and globals to values of its own', async () => {
    await stdout(suite.kernel, 'exec = compile = globals = "mine"');
    const r = await run(farm, '%%remote\nshadowed = len(exec) + len(globals)');
    expect(r.outputs[0][1].metadata.bento.farmOut).to.deep.include({ in: ['exec', 'globals'], out: ['shadowed'] });
    expect(await readValues(suite.kernel, ['shadowed'])).to.deep.equal({ shadowed: 8 });
    await stdout(suite.kernel, 'del exec, compile, globals');
    await stdout(remote, 'del exec, globals');
  });

  it('interrupts the remote run and brings nothing back', async () => {
    let interrupted: Promise<void> | undefined;
    const r = await run(farm, '%%remote\nimport time\nspun = 0\nprint("spinning", flush=True)\nwhile True:\n    spun += 1\n    time.sleep(0.05)', {
      onIOPub: (m) => {
        if (m.header.msg_type === 'stream') interrupted ??= farm.interrupt();
      },
    });
    await interrupted;
    expect(errorOf(r).ename).to.equal('KeyboardInterrupt');
    expect(await has(suite.kernel, 'spun')).to.equal(false);
  });

  it('answers a wrong %%remote line with a UsageError and runs nothing', async () => {
    const r = await run(farm, '%%remote --bogus\nnever = 1');
    const error = errorOf(r);
    expect(error.ename).to.equal('UsageError');
    expect(error.evalue).to.contain('Unknown option --bogus');
    expect(error.evalue).to.contain('Usage: %%remote [--kernel NAME] [--in a,b] [--out c,d]');
    expect(r.outputs.map(([type]) => type)).to.deep.equal(['error']);
    expect(await has(remote, 'never')).to.equal(false);
    expect(errorOf(await run(farm, '%%remote --in 1x\nnever = 1')).evalue).to.contain("'1x' is not a valid Python variable name");
  });

  it('leaves both kernels running when it is shut down: the notebook owns them', async () => {
    const other = new FarmOutKernel(suite.kernel, remote);
    await other.shutdown();
    expect((await run(remote, 'still = 1')).reply.content.status).to.equal('ok');
    expect((await run(suite.kernel, 'still = 1')).reply.content.status).to.equal('ok');
    expect((await run(farm, 'still_farmed = still + 1')).reply.content.status).to.equal('ok');
    expect(await readValues(suite.kernel, ['still_farmed'])).to.deep.equal({ still_farmed: 2 });
  });
});
