import { css } from 'lit';
import { styles as dataCellStyles } from '../shared/data-cell.styles.ts';

export const styles = [
  ...dataCellStyles,
  css`
    /* A path such as data.orders.nodes does not fit the variable-sized field. */
    input.path {
      width: 18ch;
    }
    input[type='checkbox'] {
      width: auto;
      margin: 0;
      accent-color: var(--_active);
    }
  `,
];
