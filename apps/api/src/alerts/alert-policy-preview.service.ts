import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import {
  evaluateOfflineSteps,
  type OfflineResult,
  type OfflineScenario,
  type TraceEvents,
  validationFailed,
} from '@peakstock/domain';
import { loadScenarioFiles, recordedSaleEvent } from '@peakstock/persistence';
import { repoRoot } from '@peakstock/temporal';
import { ClockService } from '../clock/clock.service';
import { AlertPoliciesService, type PolicyBook } from './alert-policies.service';
import type { PreviewAlertPoliciesDto } from './alerts.dto';

/** Scenarios parsed once per process: the files ship with the project and do not change while it runs. */
const SCENARIO_CACHE = new Map<string, { scenario: OfflineScenario; events: TraceEvents }>();
/** Longest stretch of evaluation between turns of the event loop: orders keep their latency during a preview. */
const SLICE_MS = 10;

export interface PreviewSummary {
  skus: {
    sku: string;
    tier: string;
    openingStock: number;
    demanded: number;
    accepted: number;
    lost: number;
    firstAlertAt: OfflineResult['skus'][number]['firstAlertAt'];
    stockoutAt: string | null;
    stockoutMinutes: number;
    leadMinutes: number | null;
    falseAlarm: boolean;
  }[];
  totals: { lost: number; stockoutMinutes: number; falseAlarms: number; meanLeadMinutes: number | null };
}

/**
 * What a policy would have done: the offline evaluator (the alert engine's own forecast and state machine over
 * a small stock simulation, no restocks) run on a shipped scenario or on a recorded sale event, once with the
 * draft and once with the stored policies, so the editor shows the difference before anything is saved.
 */
@Injectable()
export class AlertPolicyPreviewService {
  /** Previews run one after another: each takes seconds of CPU, and the API takes orders on the same core. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly policies: AlertPoliciesService,
  ) {}

  async preview(dto: PreviewAlertPoliciesDto) {
    const { scenario, saleEvent } = dto.source;
    if ((scenario === undefined) === (saleEvent === undefined))
      throw validationFailed([{ field: 'source', reason: 'give exactly one of scenario and saleEvent' }]);
    const current = await this.policies.book();
    const draft = dto.policies ? await this.policies.draftBook(dto.policies, 'policies.') : current;
    const input =
      scenario !== undefined
        ? this.scenario(scenario)
        : await recordedSaleEvent(this.db, saleEvent!, await this.clock.nowMs());
    const drafted = await this.evaluate(input, draft);
    return {
      source: dto.source,
      draft: drafted,
      current: draft === current ? drafted : await this.evaluate(input, current),
    };
  }

  private evaluate(
    input: { scenario: OfflineScenario; events: TraceEvents },
    book: PolicyBook,
  ): Promise<PreviewSummary> {
    const run = this.queue.then(() => this.run(input, book));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(
    input: { scenario: OfflineScenario; events: TraceEvents },
    book: PolicyBook,
  ): Promise<PreviewSummary> {
    const steps = evaluateOfflineSteps(input.scenario, input.events, {
      policy: { type: 'book', policyFor: (sku, tier) => book.forSku(sku, tier) },
    });
    let result: OfflineResult | undefined;
    while (!result) {
      const sliceEnd = Date.now() + SLICE_MS;
      let step = steps.next();
      while (!step.done && Date.now() < sliceEnd) step = steps.next();
      if (step.done) result = step.value;
      else await nextTurn();
    }
    const leads = result.skus.map((s) => s.leadMinutes).filter((m): m is number => m !== null);
    return {
      skus: result.skus.map((s) => ({
        sku: s.sku,
        tier: s.tier,
        openingStock: s.openingStock,
        demanded: s.demanded,
        accepted: s.accepted,
        lost: s.lost,
        firstAlertAt: s.firstAlertAt,
        stockoutAt: s.stockoutAt,
        stockoutMinutes: s.stockoutMinutes,
        leadMinutes: s.leadMinutes,
        falseAlarm: s.falseAlarm,
      })),
      totals: {
        lost: result.skus.reduce((n, s) => n + s.lost, 0),
        stockoutMinutes: result.skus.reduce((n, s) => n + s.stockoutMinutes, 0),
        falseAlarms: result.skus.filter((s) => s.falseAlarm).length,
        meanLeadMinutes: leads.length ? Math.round(leads.reduce((a, b) => a + b, 0) / leads.length) : null,
      },
    };
  }

  private scenario(name: string): { scenario: OfflineScenario; events: TraceEvents } {
    const cached = SCENARIO_CACHE.get(name);
    if (cached) return cached;
    const dir = this.config.scenariosDir ?? path.join(repoRoot(), 'scenarios');
    const file = path.join(dir, `${name}.json`);
    if (!existsSync(file)) {
      const known = existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => f.slice(0, -5))
        : [];
      throw validationFailed([
        {
          field: 'source.scenario',
          reason: `unknown scenario (one of: ${known.join(', ') || 'none installed'})`,
        },
      ]);
    }
    const loaded = loadScenarioFiles(file);
    if (!loaded.ok)
      throw validationFailed([{ field: 'source.scenario', reason: `cannot be read: ${loaded.errors[0]}` }]);
    const entry = { scenario: loaded.scenario, events: loaded.events };
    SCENARIO_CACHE.set(name, entry);
    return entry;
  }
}
