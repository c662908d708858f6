import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { greatCircleKm, type GeoPoint } from '@peakstock/domain';

const REFRESH_MS = 10_000;

interface GeoCache {
  regions: Map<string, GeoPoint>;
  warehouses: Map<string, string>;
  until: number;
}

/**
 * Region points and warehouse locations for allocation, cached briefly: master data changes rarely and the
 * reservation path must not read it on every order. An unknown code forces a refresh.
 */
@Injectable()
export class GeoService {
  private cache?: GeoCache;
  /** The refresh under way: when the cache expires under load, concurrent orders wait for one read, not one each. */
  private loading?: Promise<GeoCache>;

  constructor(private readonly db: DataSource) {}

  private load(force = false): Promise<GeoCache> {
    if (!force && this.cache && this.cache.until > Date.now()) return Promise.resolve(this.cache);
    // A forced refresh (an unknown code) reads anew: a read begun before the code was created could miss it.
    if (force) return this.read();
    this.loading ??= this.read().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async read(): Promise<GeoCache> {
    const [regions, warehouses] = await Promise.all([
      this.db.query('SELECT code, lat, lon FROM regions') as Promise<
        { code: string; lat: number; lon: number }[]
      >,
      this.db.query('SELECT code, region FROM warehouses') as Promise<{ code: string; region: string }[]>,
    ]);
    this.cache = {
      regions: new Map(regions.map((r) => [r.code, { lat: Number(r.lat), lon: Number(r.lon) }])),
      warehouses: new Map(warehouses.map((w) => [w.code, w.region])),
      until: Date.now() + REFRESH_MS,
    };
    return this.cache;
  }

  async regionExists(code: string): Promise<boolean> {
    return (await this.load()).regions.has(code) || (await this.load(true)).regions.has(code);
  }

  /** Distance from a region's point to each warehouse's region point (km). */
  async distances(region: string, warehouses: string[]): Promise<Map<string, number>> {
    let geo = await this.load();
    if (!geo.regions.has(region) || warehouses.some((w) => !geo.warehouses.has(w)))
      geo = await this.load(true);
    const from = geo.regions.get(region);
    const out = new Map<string, number>();
    for (const w of warehouses) {
      const to = geo.regions.get(geo.warehouses.get(w) ?? '');
      out.set(w, from && to ? greatCircleKm(from, to) : Number.POSITIVE_INFINITY);
    }
    return out;
  }
}
