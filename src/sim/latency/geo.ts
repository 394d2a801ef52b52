import type { Random } from '../../core/random.ts';
import { ACCESS_MS_MEAN_DEFAULT, checkAccessMsMean, drawAccessMs } from './model.ts';
import type { LatencyModel, Placement } from './model.ts';

/**
 * A synthetic geographic latency model.
 *
 * Round-trip times between Internet hosts are dominated by distance: Dabek, Cox, Kaashoek and Morris
 * ("Vivaldi", SIGCOMM 2004) found that a model of hosts as points on the globe plus a per-host height
 * predicts most measured RTTs well. Here a node is a point drawn from one of a few weighted continental
 * regions, and
 *
 *   rtt = 2 * greatCircleKm / 200 km/ms * routeInflation + baseMs + 2 * (accessMs(a) + accessMs(b))
 *
 * where 200 km/ms is the speed of light in fibre (about two thirds of c), routeInflation accounts for
 * routes that are longer than the great circle (fibre follows roads and coasts, and traffic goes through
 * exchange points), and baseMs is a small constant per pair for switching and queueing in the core.
 *
 * Calibration: with the defaults, the median RTT between two random nodes is about 142 ms (5th percentile
 * 24 ms, 95th 270 ms), inside the 100-150 ms range that wide-area measurements report (our PlanetLab
 * matrix: median 135 ms, 95th percentile 325 ms). The median hardly moves with the region weights (137-142
 * ms over plausible shares) because it is set by transatlantic and transpacific pairs; routeInflation is
 * the knob that scales it. test/sim-foundations/latency.test.ts measures it.
 */

/** A continental region: nodes are placed around its centre with normally distributed offsets. */
export interface GeoRegion {
  readonly name: string;
  /** Relative share of nodes; the weights need not sum to 1. */
  readonly weight: number;
  readonly latitudeCentre: number;
  readonly longitudeCentre: number;
  /** Standard deviations in degrees of the offsets from the centre. */
  readonly latitudeSpread: number;
  readonly longitudeSpread: number;
}

/**
 * Shares roughly follow where Internet users are (ITU estimates: Asia first, then Europe and the
 * Americas, Africa and Oceania small); centres and spreads cover each region's populated area.
 */
export const GEO_REGIONS_DEFAULT: readonly GeoRegion[] = Object.freeze([
  { name: 'North America', weight: 0.26, latitudeCentre: 39, longitudeCentre: -95, latitudeSpread: 7, longitudeSpread: 17 },
  { name: 'Europe', weight: 0.3, latitudeCentre: 50, longitudeCentre: 10, latitudeSpread: 6, longitudeSpread: 12 },
  { name: 'East Asia', weight: 0.27, latitudeCentre: 32, longitudeCentre: 118, latitudeSpread: 9, longitudeSpread: 14 },
  { name: 'South America', weight: 0.08, latitudeCentre: -18, longitudeCentre: -55, latitudeSpread: 12, longitudeSpread: 9 },
  { name: 'Oceania', weight: 0.04, latitudeCentre: -30, longitudeCentre: 145, latitudeSpread: 6, longitudeSpread: 12 },
  { name: 'Africa', weight: 0.05, latitudeCentre: 3, longitudeCentre: 20, latitudeSpread: 15, longitudeSpread: 14 },
]);

/** Light in optical fibre covers about 200 km per millisecond (refractive index about 1.5). */
export const FIBRE_KM_PER_MS = 200;
export const ROUTE_INFLATION_DEFAULT = 1.6;
export const GEO_BASE_MS_DEFAULT = 2;
const EARTH_RADIUS_KM = 6371;
/** Points are kept off the poles, where nobody lives and longitudes degenerate. */
const LATITUDE_LIMIT = 80;

export interface GeoLatencyOptions {
  readonly regions?: readonly GeoRegion[];
  readonly routeInflation?: number;
  /** Constant added to every core RTT between distinct hosts, in ms. */
  readonly baseMs?: number;
  /** Mean one-way access delay in ms (exponential, capped); default 2 ms. */
  readonly accessMsMean?: number;
}

/**
 * The geographic model. Every placement is its own host: host numbers count the placements made by this
 * model instance, so only a node compared with itself has core RTT 0. RTTs do not depend on host numbers,
 * only on positions, so a model reused across runs still gives the same RTTs for the same draws.
 */
export function geoLatencyModel(options: GeoLatencyOptions = {}): LatencyModel {
  const regions = options.regions ?? GEO_REGIONS_DEFAULT;
  const routeInflation = options.routeInflation ?? ROUTE_INFLATION_DEFAULT;
  const baseMs = options.baseMs ?? GEO_BASE_MS_DEFAULT;
  const accessMsMean = options.accessMsMean ?? ACCESS_MS_MEAN_DEFAULT;
  checkAccessMsMean(accessMsMean);
  if (!(routeInflation >= 1) || !Number.isFinite(routeInflation)) {
    throw new RangeError(`routeInflation must be a finite number >= 1, got ${routeInflation}`);
  }
  if (!(baseMs >= 0) || !Number.isFinite(baseMs)) throw new RangeError(`baseMs must be finite and >= 0, got ${baseMs}`);
  const cumulativeWeights = cumulativeRegionWeights(regions);
  const msPerKm = (2 * routeInflation) / FIBRE_KM_PER_MS;
  let placements = 0;

  return {
    name: 'geo',
    place(random: Random): Placement {
      const region = regions[pickRegion(cumulativeWeights, random.nextFloat())];
      // Box-Muller turns two uniforms into two independent standard normals; 1 - u avoids log(0).
      const radius = Math.sqrt(-2 * Math.log(1 - random.nextFloat()));
      const angle = 2 * Math.PI * random.nextFloat();
      const latitude = clamp(region.latitudeCentre + region.latitudeSpread * radius * Math.cos(angle), LATITUDE_LIMIT);
      const longitude = wrapLongitude(region.longitudeCentre + region.longitudeSpread * radius * Math.sin(angle));
      const accessMs = drawAccessMs(random, accessMsMean);
      return { host: placements++, accessMs, latitude, longitude };
    },
    rttMs(a: Placement, b: Placement): number {
      const accessMs = 2 * (a.accessMs + b.accessMs);
      if (a.host === b.host) return accessMs;
      return greatCircleKm(a.latitude, a.longitude, b.latitude, b.longitude) * msPerKm + baseMs + accessMs;
    },
  };
}

/** Great-circle distance by the haversine formula, which stays accurate for nearby points. */
export function greatCircleKm(latitudeA: number, longitudeA: number, latitudeB: number, longitudeB: number): number {
  const toRadians = Math.PI / 180;
  const halfLatitude = ((latitudeB - latitudeA) * toRadians) / 2;
  const halfLongitude = ((longitudeB - longitudeA) * toRadians) / 2;
  const sinLatitude = Math.sin(halfLatitude);
  const sinLongitude = Math.sin(halfLongitude);
  const h =
    sinLatitude * sinLatitude +
    Math.cos(latitudeA * toRadians) * Math.cos(latitudeB * toRadians) * sinLongitude * sinLongitude;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

function cumulativeRegionWeights(regions: readonly GeoRegion[]): Float64Array {
  if (regions.length === 0) throw new RangeError('a geographic model needs at least one region');
  const cumulative = new Float64Array(regions.length);
  let total = 0;
  for (let i = 0; i < regions.length; i++) {
    const weight = regions[i].weight;
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new RangeError(`region ${regions[i].name}: weight must be finite and >= 0, got ${weight}`);
    }
    total += weight;
    cumulative[i] = total;
  }
  if (!(total > 0)) throw new RangeError('the region weights must not all be 0');
  for (let i = 0; i < cumulative.length; i++) cumulative[i] /= total;
  return cumulative;
}

function pickRegion(cumulativeWeights: Float64Array, uniform: number): number {
  for (let i = 0; i < cumulativeWeights.length - 1; i++) {
    if (uniform < cumulativeWeights[i]) return i;
  }
  return cumulativeWeights.length - 1;
}

function clamp(value: number, limit: number): number {
  return value > limit ? limit : value < -limit ? -limit : value;
}

/** Maps any longitude into [-180, 180). */
function wrapLongitude(longitude: number): number {
  return ((((longitude + 180) % 360) + 360) % 360) - 180;
}
