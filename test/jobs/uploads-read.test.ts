// Which tables a query reads, as the SQL cell decides whether to wait for an upload (src/jobs/uploads-read.ts).
import { expect } from '@open-wc/testing';
import { namesTable } from '../../src/jobs/uploads-read.ts';

describe('namesTable', () => {
  it('finds the target as a whole identifier, bare or quoted, any case, with or without its schema', () => {
    expect(namesTable('SELECT * FROM cold_cities WHERE x < 5', 'cold_cities')).to.equal(true);
    expect(namesTable('select * from COLD_CITIES', 'cold_cities')).to.equal(true);
    expect(namesTable('SELECT * FROM "cold_cities"', 'cold_cities')).to.equal(true);
    expect(namesTable('SELECT * FROM `trips` t JOIN x ON t.id = x.id', 'analytics.trips')).to.equal(true);
    expect(namesTable('SELECT * FROM analytics.trips', 'analytics.trips')).to.equal(true);
  });

  it('does not find it inside another name, a string literal or a comment', () => {
    expect(namesTable('SELECT * FROM cold_cities_2024', 'cold_cities')).to.equal(false);
    expect(namesTable("SELECT 'cold_cities' AS name", 'cold_cities')).to.equal(false);
    expect(namesTable("SELECT 'it''s cold_cities' AS name FROM towns", 'cold_cities')).to.equal(false);
    expect(namesTable('SELECT 1 -- from cold_cities\nFROM towns', 'cold_cities')).to.equal(false);
    expect(namesTable('SELECT /* cold_cities */ 1', 'cold_cities')).to.equal(false);
  });
});
