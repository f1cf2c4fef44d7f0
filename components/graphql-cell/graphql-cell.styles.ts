import { css } from 'lit';
import { styles as dataCellStyles } from '../shared/data-cell.styles.ts';

export const styles = [
  ...dataCellStyles,
  css`
    input.path {
      min-width: 18ch;
    }
  `,
];
