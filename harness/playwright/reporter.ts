// The harness's reporter for Playwright-native tests: alongside Playwright's own html/junit/github reporters it
// writes the harness report (JSON, HTML with timeline charts, JUnit, Markdown) for every test that used `sse`.
//
//   reporter: [['list'], ['html'], ['sse-harness/playwright/reporter', { outputDir: 'reports/playwright' }]]
import { resolve } from 'node:path';
import type { FullConfig, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { buildReport } from '../report/model.ts';
import { writeReport } from '../report/write.ts';
import type { ScenarioResult } from '../runner/run.ts';
import { ATTACHMENT, type RecordedRun } from './index.ts';

export interface SseReporterOptions {
  /** Where the report goes (default reports/playwright). */
  outputDir?: string;
  /** Also append the Markdown summary to $GITHUB_STEP_SUMMARY (default true). */
  stepSummary?: boolean;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80) || 'test';

export default class SseHarnessReporter implements Reporter {
  private readonly results: ScenarioResult[] = [];
  private readonly startedAt = new Date().toISOString();
  private command: string[] = [];
  constructor(private readonly opts: SseReporterOptions = {}) {}

  onBegin(config: FullConfig): void {
    this.command = [
      'playwright',
      'test',
      ...(config.projects.length ? [`(${config.projects.map((p) => p.name).join(', ')})`] : []),
    ];
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const att = result.attachments.find((a) => a.name === ATTACHMENT && a.body);
    if (!att?.body) return;
    const rec = JSON.parse(att.body.toString('utf8')) as RecordedRun;
    const verdicts = rec.verdicts.map((v) => ({ ...v }));
    const passed = result.status === 'passed' || (result.status === 'failed' && test.expectedStatus === 'failed');
    if (!passed && !verdicts.some((v) => !v.pass)) {
      verdicts.push({
        oracle: 'test',
        pass: false,
        // strips ANSI colour codes from the test's error
        // eslint-disable-next-line no-control-regex
        summary: (result.error?.message ?? result.status).split('\n')[0]!.replace(/\u001b\[[0-9;]*m/g, ''),
        evidence: {},
      });
    }
    this.results.push({
      scenario: slug(test.title),
      file: test.location.file,
      description: test.titlePath().filter(Boolean).join(' › '),
      catches: [],
      browser: rec.browser,
      engine: rec.engine,
      target: rec.target,
      targetVersion: rec.targetVersion,
      regress: [],
      verdict: passed ? 'pass' : result.status === 'failed' ? 'fail' : 'error',
      verdicts,
      stepFailures: [],
      findings: [],
      witnesses: ['server', 'page'],
      error: result.status === 'timedOut' ? 'test timed out' : undefined,
      durationMs: result.duration,
      sessions: rec.sessions,
      timeline: rec.timeline,
    });
  }

  onEnd(): void {
    if (!this.results.length) return;
    const report = buildReport({
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      complete: true,
      command: this.command,
      target: [...new Set(this.results.map((r) => r.target))].join(', '),
      browsers: [...new Set(this.results.map((r) => r.browser))],
      regress: [],
      results: this.results,
    });
    const file = writeReport(resolve(this.opts.outputDir ?? 'reports/playwright'), report, {
      stepSummary: this.opts.stepSummary,
    });
    process.stdout.write(`sse-harness report: ${file.replace(/\.json$/, '.html')}\n`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
